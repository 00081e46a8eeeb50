"""parse_xml: the one safe parser. Hostile inputs are named for their attack."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

from schemas import (
    ParseLimits,
    XmlForbidden,
    XmlMalformed,
    XmlRejected,
    XmlTooComplex,
    XmlTooDeep,
    XmlTooLarge,
    parse_xml,
)
from schemas.parser import _refuse_constructs

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<lolz>&lol9;</lolz>"""

LoadSample = Callable[[str, str], bytes]


def with_in_body(raw: bytes, insert: bytes) -> bytes:
    """Insert bytes right after the <Body> start tag of a sample envelope."""
    return raw.replace(b"<Body>", b"<Body>" + insert, 1)


def test_samples_parse(load_sample: LoadSample) -> None:
    for message_type in ("FamilyReferral", "ReferralReceipt", "ActionStatusUpdate"):
        root = parse_xml(load_sample(message_type, "1.0"))
        assert root.tag == "{urn:family-hub:envelope:1}Envelope"


@pytest.mark.parametrize(
    ("attack", "document", "construct"),
    [
        ("billion_laughs", BILLION_LAUGHS, "doctype"),
        (
            "xxe_external_entity",
            b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
            "doctype",
        ),
        ("dtd_fetch", b'<!DOCTYPE r SYSTEM "http://dtd.example.invalid/r.dtd"><r/>', "doctype"),
        ("bare_doctype", b"<!DOCTYPE r><r/>", "doctype"),
        ("pi_before_root", b'<?xml-stylesheet href="x.xsl"?><r/>', "processing_instruction"),
        ("pi_after_root", b"<r/><?evil x?>", "processing_instruction"),
        ("pi_inside", b"<r><a><?evil x?></a></r>", "processing_instruction"),
        ("comment_before_root", b"<!-- c --><r/>", "comment"),
        ("comment_after_root", b"<r/><!-- c -->", "comment"),
        (
            "xinclude",
            b'<r xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="/etc/passwd"/></r>',
            "xinclude",
        ),
    ],
)
def test_forbidden_constructs_are_refused(attack: str, document: bytes, construct: str) -> None:
    with pytest.raises(XmlForbidden) as caught:
        parse_xml(document)
    assert caught.value.reason == "forbidden_construct"
    assert caught.value.construct == construct


def test_billion_laughs_is_refused_without_expansion() -> None:
    with pytest.raises(XmlForbidden):
        parse_xml(BILLION_LAUGHS)


def test_comment_in_body_is_refused(referral_raw: bytes) -> None:
    # A comment inside a signed text value survives exc-c14n without comments (SECURITY-NOTES).
    with pytest.raises(XmlForbidden) as caught:
        parse_xml(referral_raw.replace(b"<c:LastName>", b"<c:LastName><!---->", 1))
    assert caught.value.construct == "comment"


def test_pi_in_body_is_refused(referral_raw: bytes) -> None:
    with pytest.raises(XmlForbidden) as caught:
        parse_xml(with_in_body(referral_raw, b"<?php echo 1; ?>"))
    assert caught.value.construct == "processing_instruction"


def test_xml_declaration_is_not_a_processing_instruction() -> None:
    assert parse_xml(b'<?xml version="1.0" encoding="UTF-8"?><r/>').tag == "r"


def test_entity_reference_nodes_are_refused() -> None:
    # parse_xml cannot produce one (no DOCTYPE, no entity); the check guards the tree anyway.
    root = etree.fromstring(b"<r><a/></r>")
    root[0].append(etree.Entity("x"))
    with pytest.raises(XmlForbidden) as caught:
        _refuse_constructs(root)
    assert caught.value.construct == "entity"


def test_external_entity_file_is_never_read(tmp_path: Path) -> None:
    # Given a secret file whose access time is older than its modification time
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-7731")
    modified = secret.stat().st_mtime
    os.utime(secret, (0, modified))
    document = f'<!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]><r>&x;</r>'.encode()
    # When a message references it as an external entity
    with pytest.raises(XmlForbidden) as caught:
        parse_xml(document)
    untouched_atime = secret.stat().st_atime
    # Then it is refused as a DOCTYPE, and the file was not opened (relatime records a read
    # when atime < mtime: check that this filesystem does, by reading it ourselves).
    assert caught.value.construct == "doctype"
    assert "TOP-SECRET" not in str(caught.value)
    secret.read_bytes()
    if secret.stat().st_atime == 0:
        pytest.skip("this filesystem does not record access times")
    assert untouched_atime == 0


def test_ten_thousand_deep_is_refused_fast() -> None:
    document = b"<a>" * 10_000 + b"</a>" * 10_000
    with pytest.raises(XmlTooDeep) as caught:
        parse_xml(document)
    assert caught.value.reason == "too_deep"


def test_depth_limit_is_inclusive() -> None:
    limits = ParseLimits(max_depth=64)
    parse_xml(b"<a>" * 64 + b"</a>" * 64, limits)
    with pytest.raises(XmlTooDeep) as caught:
        parse_xml(b"<a>" * 65 + b"</a>" * 65, limits)
    assert caught.value.limit == 64


def test_hundred_thousand_attributes_are_refused() -> None:
    # Canonicalisation is quadratic in attributes per element (SECURITY-NOTES).
    document = b"<r " + b" ".join(b"a%x=''" % n for n in range(100_000)) + b"/>"
    assert len(document) <= ParseLimits().max_bytes
    with pytest.raises(XmlTooComplex) as caught:
        parse_xml(document)
    assert caught.value.reason == "too_complex"


def test_attribute_limit_is_per_element_and_inclusive() -> None:
    limits = ParseLimits(max_attributes_per_element=2)
    parse_xml(b"<r a='1' b='2'><c a='1' b='2'/></r>", limits)
    with pytest.raises(XmlTooComplex):
        parse_xml(b"<r a='1' b='2'><c a='1' b='2' d='3'/></r>", limits)


def test_namespace_declarations_are_not_attributes() -> None:
    parse_xml(
        b"<r xmlns='urn:a' xmlns:b='urn:b' a='1'/>", ParseLimits(max_attributes_per_element=1)
    )


def test_element_count_limit_is_inclusive() -> None:
    limits = ParseLimits(max_elements=20_000)
    parse_xml(b"<r>" + b"<e/>" * 19_999 + b"</r>", limits)
    with pytest.raises(XmlTooComplex) as caught:
        parse_xml(b"<r>" + b"<e/>" * 20_000 + b"</r>", limits)
    assert caught.value.limit == 20_000


def test_oversize_is_refused_before_parsing() -> None:
    # Not even well-formed: the size check must come first.
    with pytest.raises(XmlTooLarge) as caught:
        parse_xml(b"<" * (ParseLimits().max_bytes + 1))
    assert caught.value.reason == "too_large"
    assert caught.value.size == ParseLimits().max_bytes + 1


def test_size_limit_is_inclusive(referral_raw: bytes) -> None:
    parse_xml(referral_raw, ParseLimits(max_bytes=len(referral_raw)))
    with pytest.raises(XmlTooLarge):
        parse_xml(referral_raw, ParseLimits(max_bytes=len(referral_raw) - 1))


@pytest.mark.parametrize(
    ("case", "document"),
    [
        ("truncated", None),
        ("empty", b""),
        ("not_xml", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"),
        ("json", b'{"MessageId": "x"}'),
        ("tag_mismatch", b"<a><b></a></b>"),
        ("undeclared_entity", b"<a>&nbsp;</a>"),
        (
            "utf16_declared_invalid_bytes",
            b'<?xml version="1.0" encoding="UTF-16"?>\xff\xfe<\x00a\x00\x00\xd8/\x00>\x00',
        ),
        ("utf8_invalid_bytes", b'<?xml version="1.0" encoding="UTF-8"?><a>\xff\xfe\xfd</a>'),
        ("two_roots", b"<a/><b/>"),
    ],
)
def test_malformed_input_is_refused(case: str, document: bytes | None, referral_raw: bytes) -> None:
    if document is None:
        document = referral_raw[: len(referral_raw) // 2]
    with pytest.raises(XmlMalformed) as caught:
        parse_xml(document)
    assert caught.value.reason == "malformed"
    assert caught.value.detail.startswith("ERR_")


def test_malformed_message_holds_no_document_text() -> None:
    with pytest.raises(XmlMalformed) as caught:
        parse_xml("<a><Фамилия>Вершинина</Фамилия>".encode())
    assert "Вершинина" not in str(caught.value)
    assert caught.value.__cause__ is None


def test_valid_utf16_document_parses() -> None:
    document = '<?xml version="1.0" encoding="UTF-16"?><r>Петров</r>'.encode("utf-16")
    assert parse_xml(document).text == "Петров"


def test_every_refusal_is_an_xml_rejection() -> None:
    for error in (XmlTooLarge, XmlMalformed, XmlTooDeep, XmlTooComplex, XmlForbidden):
        assert issubclass(error, XmlRejected)
