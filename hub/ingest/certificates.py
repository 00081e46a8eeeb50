"""Is the signing certificate one the sender registered? (after the signature check)

The trust store has already said the certificate chains to a trusted CA, is valid, is not
on the CRL and names the Sender. Here the hub's own record decides whether the partner
may still sign with it: registered at onboarding or rotation, not past the overlap a
rotation gave it, not revoked by ``hub partners revoke-cert`` (which takes effect at the
next message, before a re-read CRL would).

A partner with no registered certificate (registered before migration 0006) is bound by
its CA and system code alone until its first rotation registers one.
"""

from datetime import datetime

from sqlalchemy.orm import Session

from hub.errors import Rejection
from hub.store import certificate_standings
from signing import SignerIdentity


def check_registered_certificate(
    session: Session, *, sender: str, signer: SignerIdentity, now: datetime
) -> None:
    """Accept ``signer``'s certificate for ``sender`` at ``now``, or raise why not.

    Raises:
        Rejection: ``signature.certificate_unknown`` (not registered for ``sender``),
            ``signature.certificate_retired`` (replaced, its overlap over),
            ``signature.revoked`` (revoked through the hub).
    """
    registered = certificate_standings(session, sender)
    if not registered:
        return
    serial = f"serial {signer.serial_number:x}"
    row = next((r for r in registered if r.fingerprint_sha256 == signer.fingerprint_sha256), None)
    if row is None:
        raise Rejection("signature.certificate_unknown", f"{serial} is not registered for {sender}")
    if row.revoked_at is not None and row.revoked_at <= now:
        raise Rejection(
            "signature.revoked", f"{serial} was revoked at {row.revoked_at.isoformat()}"
        )
    if row.valid_until is not None and row.valid_until <= now:
        raise Rejection(
            "signature.certificate_retired",
            f"{serial} was replaced; its overlap ended at {row.valid_until.isoformat()}",
        )
