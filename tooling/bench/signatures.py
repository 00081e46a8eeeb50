"""Measure sign + verify throughput for a ~4 KB referral: ``python -m tooling.bench.signatures``.

Uses throw-away dev PKIs (one RSA, one GOST) in a temporary directory, one process, one core;
prints sign+verify pairs per second of CPU time for RSA-2048, ECDSA P-256 and GOST R 34.10-2012
256 and 512. A measurement to read, not a test; ``hub bench`` measures the same pair
(``tooling.bench.pairs``) with its own keys.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from lxml import etree

from signing import (
    ANY_PROVIDER,
    Crypto,
    DevPki,
    KeyAlgorithm,
    XmlSigner,
    XmlVerifier,
)
from tooling.bench.pairs import sign_verify_pairs_per_s

__all__ = ["build_referral"]

#: The PKI each key algorithm is issued under.
_ALGORITHMS: dict[KeyAlgorithm, Crypto] = {
    "rsa": "rsa",
    "ec": "rsa",
    "gost256": "gost",
    "gost512": "gost",
}

_ENVELOPE_NS = "urn:family-hub:envelope:1"
_MESSAGE_NS = "urn:family-hub:msg:FamilyReferral:1"


def _default_ns(namespace: str) -> dict[str, str]:
    # lxml takes None as the default-namespace prefix; lxml-stubs 0.5 types the keys as str.
    return {None: namespace}  # type: ignore[dict-item]


def build_referral(sender: str, children: int = 10) -> etree._Element:
    """Return an unsigned FamilyReferral envelope of about 4 KB once signed (Cyrillic text)."""
    envelope = etree.Element(f"{{{_ENVELOPE_NS}}}Envelope", nsmap=_default_ns(_ENVELOPE_NS))
    header = etree.SubElement(envelope, f"{{{_ENVELOPE_NS}}}Header")
    for name, value in [
        ("MessageId", "6f1c1a52-3c1e-4e7a-9a57-2f1d6a0c7b11"),
        ("MessageType", "FamilyReferral"),
        ("SchemaVersion", "1.0"),
    ]:
        etree.SubElement(header, f"{{{_ENVELOPE_NS}}}{name}").text = value
    sender_element = etree.SubElement(header, f"{{{_ENVELOPE_NS}}}Sender")
    etree.SubElement(sender_element, f"{{{_ENVELOPE_NS}}}System").text = sender
    etree.SubElement(sender_element, f"{{{_ENVELOPE_NS}}}Organisation").text = "ОМВД по району"
    etree.SubElement(header, f"{{{_ENVELOPE_NS}}}CreatedAt").text = "2026-11-24T10:00:00+12:00"
    body = etree.SubElement(envelope, f"{{{_ENVELOPE_NS}}}Body")
    referral = etree.SubElement(
        body, f"{{{_MESSAGE_NS}}}FamilyReferral", nsmap=_default_ns(_MESSAGE_NS)
    )
    for index in range(children):
        child = etree.SubElement(referral, f"{{{_MESSAGE_NS}}}Child")
        etree.SubElement(child, f"{{{_MESSAGE_NS}}}FullName").text = f"Иванов Иван Иванович {index}"
        etree.SubElement(child, f"{{{_MESSAGE_NS}}}BirthDate").text = "2015-03-01"
        etree.SubElement(child, f"{{{_MESSAGE_NS}}}Note").text = "Нуждается в поддержке семьи"
    return envelope


def main() -> None:
    """Print sign + verify pairs a second for each key algorithm."""
    with tempfile.TemporaryDirectory() as directory:
        pkis = {crypto: DevPki(Path(directory) / crypto) for crypto in set(_ALGORITHMS.values())}
        for crypto, pki in pkis.items():
            pki.init(crypto)
        for algorithm, crypto in _ALGORITHMS.items():
            pki, code = pkis[crypto], f"bench-{algorithm}"
            pki.issue(code, "Бенчмарк", algorithm=algorithm)
            signer = XmlSigner(pki.signing_key(code))
            verifier = XmlVerifier(pki.trust_store(), ANY_PROVIDER)
            envelope = build_referral(code)
            size = len(signer.sign(envelope))
            pairs = sign_verify_pairs_per_s(signer, verifier, envelope, sender=code)
            print(f"{algorithm}: {pairs:.0f} sign+verify pairs/s of CPU ({size} bytes signed)")


if __name__ == "__main__":
    main()
