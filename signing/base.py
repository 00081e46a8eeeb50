"""The provider contract: what a signer and a verifier do, whichever library implements them.

``signing.xml`` implements both for every algorithm the hub knows (RSA/ECDSA signed
with cryptography and checked by signxml, GOST through the system OpenSSL); a certified
CSP would implement them too (docs/gost.md), and the hostile-input suite runs against
every provider.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from cryptography import x509
from lxml import etree

from signing.identity import SignerIdentity

__all__ = ["Signer", "VerifiedMessage", "Verifier"]


@dataclass(frozen=True)
class VerifiedMessage:
    """The outcome of a successful verification.

    ``signed_xml`` is the envelope re-parsed from the exact bytes that were digested, without
    the signature and without comments: the only tree the hub may read.
    """

    signed_xml: etree._Element
    signer: SignerIdentity
    certificate: x509.Certificate


class Signer(Protocol):
    """Signs outbound envelopes with one system's key."""

    def sign(self, envelope: etree._Element) -> bytes:
        """Return the envelope with an enveloped signature as UTF-8 bytes with a declaration.

        The caller's element is not modified.
        """
        ...


class Verifier(Protocol):
    """Verifies inbound envelopes against the signature profile and a trust store."""

    def verify(
        self, envelope: etree._Element, *, expected_sender: str, now: datetime | None = None
    ) -> VerifiedMessage:
        """Verify the envelope's signature and return what was signed; see implementations."""
        ...
