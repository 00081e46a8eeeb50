"""Signing one message with a partner's bundle, as ``hub sign`` and the conformance kit do."""

from __future__ import annotations

from pathlib import Path

from schemas import DSIG_NS, SchemaError, parse_xml, read_header, refresh_ids, validate_envelope
from signing import SigningKey, XmlSigner

__all__ = ["SignRefused", "load_signing_key", "sign_envelope"]


class SignRefused(ValueError):
    """The file cannot be signed as asked; the message says why, for the person at the desk."""


def load_signing_key(bundle: Path) -> SigningKey:
    """The partner's key and certificate from its bundle folder.

    Raises:
        OSError: ``key.pem`` or ``cert.pem`` cannot be read.
        ValueError: malformed PEM, or a key that does not match its certificate.
    """
    return SigningKey.load(bundle / "key.pem", bundle / "cert.pem")


def sign_envelope(raw: bytes, key: SigningKey, *, fresh: bool = False) -> bytes:
    """``raw`` (an unsigned envelope) signed with ``key`` by the hub's signature profile.

    ``fresh`` gives it a new MessageId and CreatedAt first, so an example or a message sent
    before can be sent (again) without editing it.

    Raises:
        SignRefused: not a valid envelope, already signed, or its Sender is another system
            than the key's (the hub would refuse it as ``signature.signer_not_sender``).
    """
    try:
        envelope = parse_xml(refresh_ids(raw) if fresh else raw)
        validate_envelope(envelope)
    except (SchemaError, ValueError) as exc:  # ValueError: refresh_ids found no header
        raise SignRefused(f"not a valid envelope: {exc}") from exc
    if envelope.find(f"{{{DSIG_NS}}}Signature") is not None:
        raise SignRefused("already signed: sign the unsigned envelope")
    sender = read_header(envelope).sender
    if sender != key.system_code:
        raise SignRefused(
            f"Sender is {sender!r} but the bundle's certificate is {key.system_code!r}'s: "
            "the hub would refuse it (signature.signer_not_sender)"
        )
    return XmlSigner(key).sign(envelope)
