"""RSA and ECDSA signatures: written by the hub's own signer (``signing.enveloped``), checked
by signxml and by Debian's xmlsec1; what is signed is what the verifier returns."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from signing import (
    HUB_SYSTEM_CODE,
    DevPki,
    SignatureInputInvalid,
    SigningKey,
    VerifyPolicy,
    XmlSigner,
    XmlVerifier,
)
from tests.conftest import require_service

MakeEnvelope = Callable[..., etree._Element]
Parse = Callable[[bytes | str], etree._Element]

NS = {"ds": "http://www.w3.org/2000/09/xmldsig#", "m": "urn:family-hub:msg:FamilyReferral:1"}
_EC_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
_RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"


def _c14n(element: etree._Element) -> bytes:
    return etree.tostring(element, method="c14n", exclusive=True)


@pytest.mark.parametrize(
    ("code", "signature_method"), [("police", _RSA_SHA256), ("kdn", _EC_SHA256)]
)
def test_round_trip_returns_exactly_the_signed_content(
    pki: DevPki, make_envelope: MakeEnvelope, parse: Parse, code: str, signature_method: str
) -> None:
    # Given an envelope signed with the system's RSA or EC key
    envelope = make_envelope(code)
    signed = XmlSigner(pki.signing_key(code)).sign(envelope)
    # When it is verified
    verified = XmlVerifier(pki.trust_store()).verify(parse(signed), expected_sender=code)
    # Then signed_xml is the envelope as it was before signing, and the signer is identified
    assert _c14n(verified.signed_xml) == _c14n(envelope)
    assert verified.signer.system_code == code
    assert verified.signer.serial_number == verified.certificate.serial_number
    assert parse(signed).xpath("//ds:SignatureMethod/@Algorithm", namespaces=NS) == [
        signature_method
    ]


def test_sign_does_not_mutate_the_callers_element(
    police_key: SigningKey, make_envelope: MakeEnvelope
) -> None:
    envelope = make_envelope()
    before = etree.tostring(envelope)
    XmlSigner(police_key).sign(envelope)
    assert etree.tostring(envelope) == before


def test_sign_returns_utf8_with_declaration_and_signature_last(
    police_key: SigningKey, make_envelope: MakeEnvelope, parse: Parse
) -> None:
    signed = XmlSigner(police_key).sign(make_envelope())
    assert signed.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert "Иванов".encode() in signed
    root = parse(signed)
    assert root[-1].tag == "{http://www.w3.org/2000/09/xmldsig#}Signature"
    assert root.xpath("//ds:Reference/@URI", namespaces=NS) == [""]


def test_signed_xml_can_be_re_signed_by_the_hub(
    pki: DevPki, police_key: SigningKey, make_envelope: MakeEnvelope, parse: Parse
) -> None:
    # The hub verifies an inbound message, then signs the verified tree for the recipient.
    trust_store = pki.trust_store()
    inbound = XmlSigner(police_key).sign(make_envelope())
    verified = XmlVerifier(trust_store).verify(parse(inbound), expected_sender="police")
    outbound = XmlSigner(pki.signing_key(HUB_SYSTEM_CODE)).sign(verified.signed_xml)
    again = XmlVerifier(trust_store).verify(parse(outbound), expected_sender=HUB_SYSTEM_CODE)
    assert _c14n(again.signed_xml) == _c14n(verified.signed_xml)


def test_sign_refuses_an_already_signed_envelope(
    police_key: SigningKey, make_envelope: MakeEnvelope, parse: Parse
) -> None:
    signer = XmlSigner(police_key)
    with pytest.raises(ValueError, match="already carries"):
        signer.sign(parse(signer.sign(make_envelope())))


@pytest.mark.parametrize("code", ["police", "kdn"])
def test_xmlsec1_verifies_what_the_signer_writes(
    pki: DevPki, make_envelope: MakeEnvelope, code: str, tmp_path: Path
) -> None:
    # Given an envelope signed with the system's RSA (police) or EC (kdn) key
    xmlsec1 = shutil.which("xmlsec1")
    if xmlsec1 is None:
        require_service("xmlsec1 (make test installs it)", FileNotFoundError("xmlsec1"))
    assert xmlsec1 is not None
    signed = tmp_path / "signed.xml"
    signed.write_bytes(XmlSigner(pki.signing_key(code)).sign(make_envelope(code)))
    # When an independent implementation checks it against the CA
    done = subprocess.run(
        [xmlsec1, "--verify", "--trusted-pem", str(pki.ca_certificate_path), str(signed)],
        capture_output=True,
        check=False,
        timeout=60,
    )
    # Then it verifies: the ECDSA value is r‖s as XML-DSig writes it, not DER
    assert done.returncode == 0, done.stderr.decode(errors="replace")


def test_policy_narrowed_to_ecdsa_refuses_rsa_signatures(
    pki: DevPki, police_key: SigningKey, make_envelope: MakeEnvelope, parse: Parse
) -> None:
    verifier = XmlVerifier(
        pki.trust_store(), VerifyPolicy(signature_methods=frozenset({_EC_SHA256}))
    )
    with pytest.raises(SignatureInputInvalid) as caught:
        verifier.verify(
            parse(XmlSigner(police_key).sign(make_envelope())), expected_sender="police"
        )
    assert caught.value.detail == "algorithm"


def test_certificate_starting_within_clock_skew_is_accepted(
    pki: DevPki, make_envelope: MakeEnvelope, parse: Parse
) -> None:
    # Given a certificate that becomes valid one minute from now (a partner clock ahead)
    pki.issue("skewed", "Тест", not_before=datetime.now(UTC) + timedelta(minutes=1))
    signed = XmlSigner(pki.signing_key("skewed")).sign(make_envelope("skewed"))
    # Then the default 300 s skew accepts it
    verified = XmlVerifier(pki.trust_store()).verify(parse(signed), expected_sender="skewed")
    assert verified.signer.system_code == "skewed"


def test_naive_now_is_a_programming_error(
    pki: DevPki, police_key: SigningKey, make_envelope: MakeEnvelope, parse: Parse
) -> None:
    signed = parse(XmlSigner(police_key).sign(make_envelope()))
    with pytest.raises(ValueError, match="timezone-aware"):
        XmlVerifier(pki.trust_store()).verify(
            signed, expected_sender="police", now=datetime(2026, 11, 24)
        )


_XML_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=200
)


@settings(max_examples=25, deadline=None)
@given(name=_XML_TEXT)
def test_any_text_round_trips_unchanged(
    pki: DevPki, kdn_key: SigningKey, make_envelope: MakeEnvelope, parse: Parse, name: str
) -> None:
    envelope = make_envelope("kdn")
    full_name = envelope.find(".//m:FullName", NS)
    assert full_name is not None
    full_name.text = name
    signed = parse(XmlSigner(kdn_key).sign(envelope))
    verified = XmlVerifier(pki.trust_store()).verify(signed, expected_sender="kdn")
    assert verified.signed_xml.xpath("string(//m:FullName)", namespaces=NS) == name
