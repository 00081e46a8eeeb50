"""Generate the hostile-input corpus of tests/security: each case a named attack and its code.

Two tables. ``STATIC_CASES`` need no key and no clock: their bytes are the same on every run,
so they are written to ``tests/security/corpus/`` and committed (``test_corpus_is_fresh``
checks the files against a fresh generation). ``SIGNED_CASES`` carry a signature over a
CreatedAt near now, so they are built at test time with the session's dev PKI, RSA or GOST
(``conftest.REGIONS``); their names end in ``.xml`` too, so the case list reads as one corpus.

Every case maps to the one rejection code (hub/errors.py) that ingest must raise when the
message arrives authenticated as its claimed sender, ``police``.

Usage: ``python -m tests.security.make_corpus [DIRECTORY]`` (default: the corpus folder).
"""

from __future__ import annotations

import codecs
import copy
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree

from schemas import ENVELOPE_NS, example_bytes
from signing import DevPki, SigningKey, XmlSigner
from signing.gost import GOST_256, GostPrivateKey, dev_ca
from signing.identity import SYSTEM_URI_PREFIX
from tests.factories import Signers, make_envelope

CORPUS_DIR = Path(__file__).parent / "corpus"

DS_NS = "http://www.w3.org/2000/09/xmldsig#"
E = f"{{{ENVELOPE_NS}}}"
DS = f"{{{DS_NS}}}"
XSLT_URI = "http://www.w3.org/TR/1999/REC-xslt-19991116"
XPATH_URI = "http://www.w3.org/TR/1999/REC-xpath-19991116"
XPATH_FILTER2_URI = "http://www.w3.org/2002/06/xmldsig-filter2"

# --- Static cases: bytes only ------------------------------------------------------------

#: The committed sample every static envelope case starts from (unsigned, fixed CreatedAt).
_SAMPLE = example_bytes("FamilyReferral", "1.0")
_SAMPLE_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def _sample_body() -> bytes:
    assert _SAMPLE.startswith(_SAMPLE_DECLARATION)
    return _SAMPLE[len(_SAMPLE_DECLARATION) :]


def _with_doctype(doctype: bytes, text_in_payload: bytes = b"") -> bytes:
    """The sample envelope behind ``doctype``, with ``text_in_payload`` in a payload field."""
    body = _sample_body()
    if text_in_payload:
        body = body.replace("Сорокина".encode(), text_in_payload, 1)
    return _SAMPLE_DECLARATION + doctype + b"\n" + body


def _in_payload(fragment: bytes) -> bytes:
    """The sample envelope with ``fragment`` inserted at the start of the payload element."""
    marker = b'xmlns:c="urn:family-hub:common:1">'
    assert marker in _SAMPLE
    return _SAMPLE.replace(marker, marker + fragment, 1)


def _billion_laughs() -> bytes:
    entities = [b'<!ENTITY lol0 "lol">']
    for level in range(1, 10):
        refs = b"".join(b"&lol%d;" % (level - 1) for _ in range(10))
        entities.append(b'<!ENTITY lol%d "%s">' % (level, refs))
    return _with_doctype(b"<!DOCTYPE Envelope [" + b"".join(entities) + b"]>", b"&lol9;")


def _quadratic_blowup() -> bytes:
    # One 50 KB entity referenced 10,000 times: 500 MB once expanded, no nesting to detect.
    doctype = b'<!DOCTYPE Envelope [<!ENTITY big "' + b"x" * 50_000 + b'">]>'
    return _with_doctype(doctype, b"&big;" * 10_000)


def _random_bytes() -> bytes:
    return random.Random(7).randbytes(4096)


STATIC_CASES: dict[str, tuple[Callable[[], bytes], str]] = {
    # Entities and DTDs: refused whatever they point at, before anything is resolved.
    "xxe_file.xml": (
        lambda: _with_doctype(
            b'<!DOCTYPE Envelope [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', b"&xxe;"
        ),
        "xml.forbidden_construct",
    ),
    "xxe_parameter_entity.xml": (
        lambda: _with_doctype(
            b'<!DOCTYPE Envelope [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd">%remote;]>'
        ),
        "xml.forbidden_construct",
    ),
    "xxe_external_dtd.xml": (
        lambda: _with_doctype(b'<!DOCTYPE Envelope SYSTEM "http://127.0.0.1:9/envelope.dtd">'),
        "xml.forbidden_construct",
    ),
    "xxe_public_dtd_file.xml": (
        lambda: _with_doctype(b'<!DOCTYPE Envelope PUBLIC "-//X//Y" "file:///etc/hostname">'),
        "xml.forbidden_construct",
    ),
    "doctype_without_subset.xml": (
        lambda: _with_doctype(b"<!DOCTYPE Envelope>"),
        "xml.forbidden_construct",
    ),
    "billion_laughs.xml": (_billion_laughs, "xml.forbidden_construct"),
    "quadratic_blowup.xml": (_quadratic_blowup, "xml.forbidden_construct"),
    "recursive_entity.xml": (
        lambda: _with_doctype(b'<!DOCTYPE Envelope [<!ENTITY a "&b;"><!ENTITY b "&a;">]>', b"&a;"),
        "xml.forbidden_construct",
    ),
    "internal_entity_in_payload.xml": (
        lambda: _with_doctype(b'<!DOCTYPE Envelope [<!ENTITY n "Ivanova">]>', b"&n;"),
        "xml.forbidden_construct",
    ),
    "undeclared_entity.xml": (lambda: _in_payload(b"&passwd;"), "xml.malformed"),
    # XInclude: refused as an element, never processed.
    "xinclude.xml": (
        lambda: _in_payload(
            b'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd"/>'
        ),
        "xml.forbidden_construct",
    ),
    "xinclude_text.xml": (
        lambda: _in_payload(
            b'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" parse="text"'
            b' href="/etc/hostname"/>'
        ),
        "xml.forbidden_construct",
    ),
    # Processing instructions and comments: not covered by a URI="" signature, or dropped by it.
    "processing_instruction_in_prolog.xml": (
        lambda: _SAMPLE_DECLARATION + b'<?xml-stylesheet href="evil.xsl"?>\n' + _sample_body(),
        "xml.forbidden_construct",
    ),
    "processing_instruction_in_payload.xml": (
        lambda: _in_payload(b"<?php system('id'); ?>"),
        "xml.forbidden_construct",
    ),
    "processing_instruction_after_root.xml": (
        lambda: _SAMPLE + b"<?evil data?>",
        "xml.forbidden_construct",
    ),
    "comment_in_payload.xml": (lambda: _in_payload(b"<!-- hidden -->"), "xml.forbidden_construct"),
    "comment_in_text.xml": (
        lambda: _SAMPLE.replace("Сорокина".encode(), "Соро<!---->кина".encode(), 1),
        "xml.forbidden_construct",
    ),
    "comment_before_root.xml": (
        lambda: _SAMPLE_DECLARATION + b"<!-- unsigned -->" + _sample_body(),
        "xml.forbidden_construct",
    ),
    # Shape: depth, element count, attributes.
    "deep_nesting_10000.xml": (lambda: b"<a>" * 10_000 + b"</a>" * 10_000, "xml.too_deep"),
    "deep_nesting_65.xml": (lambda: b"<a>" * 65 + b"</a>" * 65, "xml.too_deep"),
    "too_many_elements.xml": (lambda: b"<a>" + b"<b/>" * 20_001 + b"</a>", "xml.too_complex"),
    "too_many_attributes.xml": (
        lambda: b"<a " + b" ".join(b'x%d="1"' % i for i in range(33)) + b"/>",
        "xml.too_complex",
    ),
    # Encodings: declared vs actual, bytes illegal in their encoding.
    "invalid_utf8_bytes.xml": (
        lambda: _SAMPLE.replace("Сорокина".encode(), b"\xff\xfe\xc3(", 1),
        "xml.malformed",
    ),
    "overlong_utf8.xml": (
        lambda: _SAMPLE.replace("Сорокина".encode(), b"\xc0\xbc", 1),
        "xml.malformed",
    ),
    "nul_byte.xml": (lambda: _SAMPLE.replace(b"visit", b"vis\x00it", 1), "xml.malformed"),
    "control_character_reference.xml": (
        lambda: _SAMPLE.replace(b"visit", b"vis&#0;it", 1),
        "xml.malformed",
    ),
    "unsupported_encoding_declared.xml": (
        lambda: _SAMPLE.replace(b'encoding="UTF-8"', b'encoding="x-no-such-charset"', 1),
        "xml.malformed",
    ),
    "ebcdic_declared.xml": (
        lambda: _SAMPLE.replace(b'encoding="UTF-8"', b'encoding="EBCDIC-US"', 1),
        "xml.malformed",
    ),
    "utf16_declared_utf8_bytes.xml": (
        lambda: _SAMPLE.replace(b'encoding="UTF-8"', b'encoding="UTF-16"', 1),
        "xml.malformed",
    ),
    "utf16_bom_declared_utf8.xml": (
        lambda: codecs.BOM_UTF16_LE + _SAMPLE.decode().encode("utf-16-le"),
        "xml.malformed",
    ),
    "utf16_without_bom_declared_utf8.xml": (
        lambda: _SAMPLE.decode().encode("utf-16-be"),
        "xml.malformed",
    ),
    "utf32_bom_declared_utf8.xml": (
        lambda: codecs.BOM_UTF32_LE + _SAMPLE.decode().encode("utf-32-le"),
        "xml.malformed",
    ),
    "utf8_bom_declared_cp1251.xml": (
        lambda: codecs.BOM_UTF8 + _SAMPLE.replace(b"UTF-8", b"windows-1251", 1),
        "xml.malformed",
    ),
    # Truncated and non-XML bodies.
    "empty.xml": (lambda: b"", "xml.malformed"),
    "whitespace_only.xml": (lambda: b" \r\n\t ", "xml.malformed"),
    "truncated.xml": (lambda: _SAMPLE[: len(_SAMPLE) // 2], "xml.malformed"),
    "declaration_only.xml": (lambda: _SAMPLE_DECLARATION, "xml.malformed"),
    "mismatched_tags.xml": (lambda: b"<Envelope><Header></Envelope></Header>", "xml.malformed"),
    "two_roots.xml": (lambda: _SAMPLE + _sample_body(), "xml.malformed"),
    "json_body.json.xml": (
        lambda: b'{"MessageType": "FamilyReferral", "Sender": "police"}',
        "xml.malformed",
    ),
    "html_body.xml": (lambda: b"<html><body><p>hi<br></body></html>", "xml.malformed"),
    "binary_random.xml": (_random_bytes, "xml.malformed"),
    "gzip_body.xml": (
        lambda: b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + _random_bytes()[:64],
        "xml.malformed",
    ),
    # Well-formed but not our envelope, or not signed.
    "foreign_root.xml": (lambda: b"<Envelope><Header/></Envelope>", "envelope.invalid"),
    "unsigned.xml": (lambda: _SAMPLE, "signature.missing"),
}


def generate_static(directory: Path) -> list[Path]:
    """Write every static case into ``directory``; return the written paths."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (build, _) in STATIC_CASES.items():
        path = directory / name
        path.write_bytes(build())
        written.append(path)
    return written


# --- Signed cases: built at test time with the session PKI --------------------------------


@dataclass(frozen=True)
class Kit:
    """What a signed case may use: the session's signers and this test's own copy of the PKI."""

    signers: Signers
    pki: DevPki

    def signed(self, envelope: etree._Element | None = None, code: str | None = None) -> bytes:
        return self.signers.sign(
            envelope if envelope is not None else make_envelope(sender="police"), code
        )


def _tree(raw: bytes) -> etree._Element:
    return etree.fromstring(raw)


def _bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _edit(raw: bytes, change: Callable[[etree._Element], object]) -> bytes:
    root = _tree(raw)
    change(root)
    return _bytes(root)


def _one(root: etree._Element, path: str) -> etree._Element:
    found = root.find(path)
    assert found is not None, path
    return found


def _signature(root: etree._Element) -> etree._Element:
    return _one(root, f"{DS}Signature")


def _reference(root: etree._Element) -> etree._Element:
    return _one(root, f"{DS}Signature/{DS}SignedInfo/{DS}Reference")


def _flip_base64(element: etree._Element) -> None:
    text = element.text or ""
    position = 10
    element.text = text[:position] + ("A" if text[position] != "A" else "B") + text[position + 1 :]


def _replace_text(raw: bytes, old: str, new: str) -> bytes:
    assert old.encode() in raw, old
    return raw.replace(old.encode(), new.encode(), 1)


def _set_reference_uri(uri: str) -> Callable[[etree._Element], None]:
    def change(root: etree._Element) -> None:
        _reference(root).set("URI", uri)

    return change


def _set_algorithm(path: str, algorithm: str) -> Callable[[etree._Element], None]:
    def change(root: etree._Element) -> None:
        _one(root, f"{DS}Signature/{DS}SignedInfo/{path}").set("Algorithm", algorithm)

    return change


def _add_transform(algorithm: str, parameter: etree._Element | None = None) -> Callable[..., None]:
    def change(root: etree._Element) -> None:
        transforms = _one(_reference(root), f"{DS}Transforms")
        transform = etree.SubElement(transforms, f"{DS}Transform", Algorithm=algorithm)
        if parameter is not None:
            transform.append(copy.deepcopy(parameter))

    return change


_XSLT = etree.fromstring(
    b'<xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform" version="1.0">'
    b'<xsl:template match="/"><xsl:copy-of select="document(\'file:///etc/passwd\')"/>'
    b"</xsl:template></xsl:stylesheet>"
)
_XPATH = etree.fromstring(f'<ds:XPath xmlns:ds="{DS_NS}">not(ancestor-or-self::*)</ds:XPath>')
_XPATH_FILTER2 = etree.fromstring(
    f'<dsp:XPath xmlns:dsp="{XPATH_FILTER2_URI}" Filter="subtract">//*</dsp:XPath>'
)


def _forged(kit: Kit) -> etree._Element:
    """A second, unsigned envelope from police that the attacker wants the hub to read."""
    return make_envelope(sender="police", priority="routine")


def _moved_signed_element(kit: Kit) -> bytes:
    # The genuine signed envelope rides inside the forged envelope's Body.
    forged = _forged(kit)
    _one(forged, f"{E}Body").append(_tree(kit.signed()))
    return _bytes(forged)


def _signature_over_forged_root(kit: Kit) -> bytes:
    # The genuine Signature moved onto a forged envelope; the genuine one kept in ds:Object.
    genuine = _tree(kit.signed())
    signature = _signature(genuine)
    forged = _forged(kit)
    forged.append(signature)
    etree.SubElement(signature, f"{DS}Object").append(genuine)
    return _bytes(forged)


def _wrapped_in_ds_object(kit: Kit) -> bytes:
    # The signed Body hidden in a ds:Object, a forged Body in its place.
    root = _tree(kit.signed())
    body = _one(root, f"{E}Body")
    forged_body = _one(_forged(kit), f"{E}Body")
    body.addprevious(forged_body)
    etree.SubElement(_signature(root), f"{DS}Object").append(body)
    return _bytes(root)


def _duplicate_id(kit: Kit) -> bytes:
    # Two elements with the same Id; the Reference names it, hoping the verifier picks one
    # and the application the other.
    root = _tree(kit.signed())
    _one(root, f"{E}Body").set("Id", "body")
    _reference(root).set("URI", "#body")
    decoy = etree.SubElement(_signature(root), f"{DS}Object", Id="body")
    decoy.append(copy.deepcopy(_one(root, f"{E}Body")))
    return _bytes(root)


def _reference_to_second_element(kit: Kit) -> bytes:
    # The Reference points at a sibling decoy instead of the whole envelope.
    root = _tree(kit.signed())
    etree.SubElement(_signature(root), f"{DS}Object", Id="decoy").text = "harmless"
    _reference(root).set("URI", "#decoy")
    return _bytes(root)


def _signature_in_payload(kit: Kit) -> bytes:
    root = _tree(kit.signed())
    _one(root, f"{E}Body")[0].append(_signature(root))
    return _bytes(root)


def _signature_first(kit: Kit) -> bytes:
    root = _tree(kit.signed())
    root.insert(0, _signature(root))
    return _bytes(root)


def _two_signatures(kit: Kit) -> bytes:
    root = _tree(kit.signed())
    root.append(copy.deepcopy(_signature(root)))
    return _bytes(root)


def _nested_signature(kit: Kit) -> bytes:
    root = _tree(kit.signed())
    other = _signature(_tree(kit.signed(code="social")))
    etree.SubElement(_signature(root), f"{DS}Object").append(other)
    return _bytes(root)


def _second_certificate(kit: Kit) -> bytes:
    social = _tree(kit.signed(make_envelope(sender="social")))
    extra = _one(social, f"{DS}Signature/{DS}KeyInfo/{DS}X509Data/{DS}X509Certificate")

    def change(root: etree._Element) -> None:
        _one(root, f"{DS}Signature/{DS}KeyInfo/{DS}X509Data").insert(0, extra)

    return _edit(kit.signed(), change)


def _key_value_beside_certificate(root: etree._Element) -> None:
    key_info = _one(root, f"{DS}Signature/{DS}KeyInfo")
    etree.SubElement(etree.SubElement(key_info, f"{DS}KeyValue"), f"{DS}RSAKeyValue")


def _garbage_certificate(root: etree._Element) -> None:
    certificate = _one(root, f"{DS}Signature/{DS}KeyInfo/{DS}X509Data/{DS}X509Certificate")
    certificate.text = "bm90IGEgY2VydGlmaWNhdGU="


def _hmac_output_length(root: etree._Element) -> None:
    method = _one(root, f"{DS}Signature/{DS}SignedInfo/{DS}SignatureMethod")
    method.set("Algorithm", "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256")
    etree.SubElement(method, f"{DS}HMACOutputLength").text = "8"


def _inclusive_namespaces(root: etree._Element) -> None:
    method = _one(root, f"{DS}Signature/{DS}SignedInfo/{DS}CanonicalizationMethod")
    etree.SubElement(
        method, "{http://www.w3.org/2001/10/xml-exc-c14n#}InclusiveNamespaces", PrefixList="c"
    )


def _self_signed(kit: Kit) -> bytes:
    """A 'police' certificate that signs itself, in the key family of the region's PKI."""
    now = datetime.now(UTC)
    if kit.pki.crypto == "gost":
        # The GOST dev CA's own maker: a self-signed certificate is a CA's, SAN or not; what
        # matters is that no CA in the hub's store issued it.
        key_pem = dev_ca.generate_key(GOST_256)
        terms = dev_ca.CertificateTerms(
            "police", "Самозванец", x509.random_serial_number(), now, now + timedelta(days=30)
        )
        certificate = x509.load_pem_x509_certificate(dev_ca.self_signed_ca(key_pem, terms))
        signing_key = SigningKey(GostPrivateKey.from_pem(key_pem), certificate)
        return XmlSigner(signing_key).sign(make_envelope(sender="police"))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "police"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Самозванец"),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.UniformResourceIdentifier(SYSTEM_URI_PREFIX + "police")]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    return XmlSigner(SigningKey(key, certificate)).sign(make_envelope(sender="police"))


def _other_ca(kit: Kit) -> bytes:
    rogue = DevPki(kit.pki.root.parent / "rogue-pki")
    rogue.init(kit.pki.crypto)
    rogue.issue("police", "Самозванец")
    return XmlSigner(rogue.signing_key("police")).sign(make_envelope(sender="police"))


def _issued_then_signed(kit: Kit, *, not_before: datetime, valid_days: int) -> bytes:
    kit.pki.issue("police", "ОМВД", valid_days=valid_days, not_before=not_before)
    return XmlSigner(kit.pki.signing_key("police")).sign(make_envelope(sender="police"))


def _revoked(kit: Kit) -> bytes:
    raw = XmlSigner(kit.pki.signing_key("police")).sign(make_envelope(sender="police"))
    kit.pki.revoke("police")
    return raw


def _header_field(path: str, value: str) -> Callable[[etree._Element], None]:
    def change(root: etree._Element) -> None:
        _one(root, f"{E}Header/{path}").text = value

    return change


def _without_header_field(name: str) -> etree._Element:
    envelope = make_envelope(sender="police")
    element = _one(envelope, f"{E}Header/{E}{name}")
    element.getparent().remove(element)  # type: ignore[union-attr]
    return envelope


def _without_payload_field(local_name: str) -> etree._Element:
    envelope = make_envelope(sender="police")
    found = envelope.xpath(f"//*[local-name()='{local_name}']")
    assert isinstance(found, list)
    assert found
    element = found[0]
    assert isinstance(element, etree._Element)
    element.getparent().remove(element)  # type: ignore[union-attr]
    return envelope


def _transplanted_signature(kit: Kit) -> bytes:
    # A valid signature of one message pasted onto another (unsigned) message.
    donor = _signature(_tree(kit.signed()))
    victim = make_envelope(sender="police")
    victim.append(donor)
    return _bytes(victim)


def _oversize(kit: Kit) -> bytes:
    raw = kit.signed()
    # Padding between the declaration and the root, so only the size is wrong.
    return raw.replace(b"?>", b"?>" + b" " * 1_048_576, 1)


def _cp1251_declared(kit: Kit) -> bytes:
    raw = kit.signed()
    return raw.replace(b"encoding='UTF-8'", b"encoding='windows-1251'", 1)


def _latin1_declared(kit: Kit) -> bytes:
    return kit.signed().replace(b"encoding='UTF-8'", b"encoding='ISO-8859-1'", 1)


def _doctype_added(kit: Kit) -> bytes:
    raw = kit.signed()
    return raw.replace(b"?>", b'?>\n<!DOCTYPE Envelope [<!ENTITY x "y">]>', 1)


def _pi_added(kit: Kit) -> bytes:
    return kit.signed().replace(b"?>", b'?>\n<?xml-stylesheet href="x.xsl"?>', 1)


SIGNED_CASES: dict[str, tuple[Callable[[Kit], bytes], str]] = {
    # Tampering after signing.
    "signature_value_altered.xml": (
        lambda k: _edit(k.signed(), lambda r: _flip_base64(_one(r, f".//{DS}SignatureValue"))),
        "signature.invalid",
    ),
    "signature_value_empty.xml": (
        lambda k: _edit(
            k.signed(), lambda r: setattr(_one(r, f".//{DS}SignatureValue"), "text", "")
        ),
        "signature.profile_violation",
    ),
    "digest_value_empty.xml": (
        lambda k: _edit(k.signed(), lambda r: setattr(_one(r, f".//{DS}DigestValue"), "text", "")),
        "signature.profile_violation",
    ),
    "signature_value_not_base64.xml": (
        lambda k: _edit(
            k.signed(),
            lambda r: setattr(_one(r, f".//{DS}SignatureValue"), "text", "!!not base64!!"),
        ),
        "signature.profile_violation",
    ),
    "digest_value_altered.xml": (
        lambda k: _edit(k.signed(), lambda r: _flip_base64(_one(r, f".//{DS}DigestValue"))),
        "signature.invalid",
    ),
    "body_changed_after_signing.xml": (
        lambda k: _replace_text(k.signed(), "Ключевская", "Садовая"),
        "signature.digest_mismatch",
    ),
    "message_id_changed_after_signing.xml": (
        lambda k: _edit(
            k.signed(), _header_field(f"{E}MessageId", "00000000-0000-4000-8000-0000000000aa")
        ),
        "signature.digest_mismatch",
    ),
    "priority_changed_after_signing.xml": (
        lambda k: _edit(k.signed(), _header_field(f"{E}Priority", "routine")),
        "signature.digest_mismatch",
    ),
    "whitespace_added_after_signing.xml": (
        lambda k: _replace_text(k.signed(), "Ключевская", " Ключевская "),
        "signature.digest_mismatch",
    ),
    "signature_transplanted.xml": (_transplanted_signature, "signature.digest_mismatch"),
    # Encodings: the declaration or the bytes changed after signing.
    "cp1251_declared_on_utf8.xml": (_cp1251_declared, "xml.malformed"),
    "ascii_declared_on_utf8.xml": (
        lambda k: k.signed().replace(b"encoding='UTF-8'", b"encoding='US-ASCII'", 1),
        "xml.malformed",
    ),
    "utf7_declared_on_utf8.xml": (
        lambda k: k.signed().replace(b"encoding='UTF-8'", b"encoding='UTF-7'", 1),
        "xml.malformed",
    ),
    "utf16_bom_declared_utf8_signed.xml": (
        # The same characters, so the signature still verifies: only the encoding lies.
        lambda k: codecs.BOM_UTF16_LE + k.signed().decode().encode("utf-16-le"),
        "xml.malformed",
    ),
    # CDATA and entity tricks: markup smuggled as text is still a change to the signed text.
    "cdata_markup_injected.xml": (
        lambda k: _replace_text(k.signed(), "Ключевская", "<![CDATA[</Street><Street>]]>"),
        "signature.digest_mismatch",
    ),
    "predefined_entity_injected.xml": (
        lambda k: _replace_text(k.signed(), "Ключевская", "Ключевская &amp; &lt;x&gt;"),
        "signature.digest_mismatch",
    ),
    "latin1_declared_on_utf8.xml": (_latin1_declared, "signature.digest_mismatch"),
    # Constructs added to a signed message.
    "comment_in_signed_text.xml": (
        lambda k: _replace_text(k.signed(), "Ключевская", "Ключев<!---->ская"),
        "xml.forbidden_construct",
    ),
    "doctype_added_to_signed.xml": (_doctype_added, "xml.forbidden_construct"),
    "processing_instruction_before_signed_root.xml": (_pi_added, "xml.forbidden_construct"),
    "oversize_signed.xml": (_oversize, "xml.too_large"),
    "truncated_signed.xml": (lambda k: k.signed()[:-40], "xml.malformed"),
    "invalid_byte_in_signed.xml": (
        lambda k: k.signed().replace("Ключевская".encode(), b"\xff\xff", 1),
        "xml.malformed",
    ),
    # Signature wrapping.
    "wrapping_moved_signed_element.xml": (_moved_signed_element, "envelope.invalid"),
    "wrapping_signature_over_forged_root.xml": (
        _signature_over_forged_root,
        "signature.profile_violation",
    ),
    "wrapping_in_ds_object.xml": (_wrapped_in_ds_object, "signature.profile_violation"),
    "wrapping_duplicate_id.xml": (_duplicate_id, "signature.profile_violation"),
    "wrapping_reference_to_second_element.xml": (
        _reference_to_second_element,
        "signature.profile_violation",
    ),
    "wrapping_signature_in_payload.xml": (_signature_in_payload, "signature.profile_violation"),
    # The envelope XSD admits one ds:Signature, after Body: refused before the signature step.
    "signature_not_last_child.xml": (_signature_first, "envelope.invalid"),
    "two_signatures.xml": (_two_signatures, "envelope.invalid"),
    "nested_second_signature.xml": (_nested_signature, "signature.profile_violation"),
    # References and transforms outside the profile.
    "external_reference_file.xml": (
        lambda k: _edit(k.signed(), _set_reference_uri("file:///etc/passwd")),
        "signature.profile_violation",
    ),
    "external_reference_http.xml": (
        lambda k: _edit(k.signed(), _set_reference_uri("http://127.0.0.1:9/payload.xml")),
        "signature.profile_violation",
    ),
    "xslt_transform.xml": (
        lambda k: _edit(k.signed(), _add_transform(XSLT_URI, _XSLT)),
        "signature.profile_violation",
    ),
    "xpath_transform.xml": (
        lambda k: _edit(k.signed(), _add_transform(XPATH_URI, _XPATH)),
        "signature.profile_violation",
    ),
    "xpath_filter2_transform.xml": (
        lambda k: _edit(k.signed(), _add_transform(XPATH_FILTER2_URI, _XPATH_FILTER2)),
        "signature.profile_violation",
    ),
    # Algorithm downgrades.
    "sha1_digest.xml": (
        lambda k: _edit(
            k.signed(),
            _set_algorithm(f"{DS}Reference/{DS}DigestMethod", DS_NS + "sha1"),
        ),
        "signature.profile_violation",
    ),
    "rsa_sha1_signature_method.xml": (
        lambda k: _edit(k.signed(), _set_algorithm(f"{DS}SignatureMethod", DS_NS + "rsa-sha1")),
        "signature.profile_violation",
    ),
    "hmac_sha1_signature_method.xml": (
        lambda k: _edit(k.signed(), _set_algorithm(f"{DS}SignatureMethod", DS_NS + "hmac-sha1")),
        "signature.profile_violation",
    ),
    "hmac_output_length_truncation.xml": (
        lambda k: _edit(k.signed(), _hmac_output_length),
        "signature.profile_violation",
    ),
    "inclusive_c14n.xml": (
        lambda k: _edit(
            k.signed(),
            _set_algorithm(
                f"{DS}CanonicalizationMethod", "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
            ),
        ),
        "signature.profile_violation",
    ),
    "c14n_inclusive_namespaces_parameter.xml": (
        lambda k: _edit(k.signed(), _inclusive_namespaces),
        "signature.profile_violation",
    ),
    # Key material.
    "key_info_two_certificates.xml": (_second_certificate, "signature.profile_violation"),
    "key_info_key_value.xml": (
        lambda k: _edit(k.signed(), _key_value_beside_certificate),
        "signature.profile_violation",
    ),
    "key_info_garbage_certificate.xml": (
        lambda k: _edit(k.signed(), _garbage_certificate),
        "signature.profile_violation",
    ),
    # Who signed.
    "untrusted_self_signed.xml": (_self_signed, "signature.untrusted"),
    "untrusted_other_ca.xml": (_other_ca, "signature.untrusted"),
    "expired_certificate.xml": (
        lambda k: _issued_then_signed(
            k, not_before=datetime.now(UTC) - timedelta(days=10), valid_days=1
        ),
        "signature.expired",
    ),
    "not_yet_valid_certificate.xml": (
        lambda k: _issued_then_signed(
            k, not_before=datetime.now(UTC) + timedelta(days=2), valid_days=30
        ),
        "signature.expired",
    ),
    "revoked_certificate.xml": (_revoked, "signature.revoked"),
    "signer_not_sender.xml": (
        lambda k: k.signed(make_envelope(sender="police"), "social"),
        "signature.signer_not_sender",
    ),
    # Envelope and payload.
    "envelope_without_message_type.xml": (
        lambda k: k.signed(_without_header_field("MessageType"), "police"),
        "envelope.invalid",
    ),
    "payload_without_children.xml": (
        lambda k: k.signed(_without_payload_field("Children")),
        "payload.invalid",
    ),
    "unknown_type.xml": (
        lambda k: k.signed(_retyped("FamilyVisit")),
        "schema.unknown_type",
    ),
    "unknown_version.xml": (lambda k: k.signed(_reversioned("9.9")), "schema.unsupported_version"),
    # Freshness.
    "stale_created_at.xml": (
        lambda k: k.signed(
            make_envelope(sender="police", created_at=datetime.now(UTC) - timedelta(days=3))
        ),
        "replay.stale",
    ),
    "future_created_at.xml": (
        lambda k: k.signed(
            make_envelope(sender="police", created_at=datetime.now(UTC) + timedelta(hours=1))
        ),
        "replay.future",
    ),
    # Authorisation and routing.
    "type_not_allowed_for_sender.xml": (
        lambda k: k.signed(
            make_envelope(
                "ReferralReceipt",
                sender="police",
                correlation_id="00000000-0000-4000-8000-000000000000",
            )
        ),
        "auth.type_not_allowed",
    ),
    "recipient_not_allowed.xml": (
        lambda k: k.signed(make_envelope(sender="police", recipients=("police",))),
        "routing.recipient_not_allowed",
    ),
}


def _retyped(message_type: str) -> etree._Element:
    envelope = make_envelope(sender="police")
    _one(envelope, f"{E}Header/{E}MessageType").text = message_type
    return envelope


def _reversioned(version: str) -> etree._Element:
    envelope = make_envelope(sender="police")
    _one(envelope, f"{E}Header/{E}SchemaVersion").text = version
    return envelope


def main(argv: list[str]) -> int:
    directory = Path(argv[1]) if len(argv) > 1 else CORPUS_DIR
    for path in generate_static(directory):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
