"""Is the signing certificate one the sender registered? (after the signature check)

The trust store has already said the certificate chains to a trusted CA, is valid, is not
on the CRL and names the Sender. Here the hub's own record decides whether the partner
may still sign with it: registered at onboarding or rotation, not past the overlap a
rotation gave it, not revoked by ``hub partners revoke-cert`` (which takes effect no later
than a re-read CRL would: see below).

A partner with no registered certificate (registered before migration 0006) is bound by
its CA and system code alone until its first rotation registers one.

A sender's record that let a message through is remembered for ``HUB_CREDENTIAL_CACHE_S``
seconds (``hub.recent``), so a busy partner's messages do not read it each time: a
revocation through the hub takes effect within that bound. A certificate the remembered
record does not let through is looked up afresh, so one registered a moment ago signs at once.
"""

import time
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from hub.errors import Rejection
from hub.recent import Recent
from hub.store import CertificateStanding, certificate_standings
from signing import SignerIdentity


class RegisteredCertificates:
    """The hub's record of which certificates each sender may sign with, each sender's
    remembered for ``ttl_s`` seconds once it let a message through. Thread-safe."""

    def __init__(self, *, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._passed: Recent[str, Sequence[CertificateStanding]] = Recent(ttl_s, clock=clock)

    def check(
        self, session: Session, *, sender: str, signer: SignerIdentity, now: datetime
    ) -> None:
        """Accept ``signer``'s certificate for ``sender`` at ``now``, or raise why not.

        Raises:
            Rejection: ``signature.certificate_unknown`` (not registered for ``sender``),
                ``signature.certificate_retired`` (replaced, its overlap over),
                ``signature.revoked`` (revoked through the hub).
        """
        remembered = self._passed.find(sender)
        if remembered is not None and _refusal(remembered, sender, signer, now) is None:
            return
        standings = certificate_standings(session, sender)
        refusal = _refusal(standings, sender, signer, now)
        if refusal is not None:
            raise refusal
        self._passed.put(sender, standings)


def _refusal(
    registered: Sequence[CertificateStanding],
    sender: str,
    signer: SignerIdentity,
    now: datetime,
) -> Rejection | None:
    """Why ``registered`` does not let ``signer`` sign for ``sender`` at ``now``, if it does not."""
    if not registered:
        return None
    serial = f"serial {signer.serial_number:x}"
    row = next((r for r in registered if r.fingerprint_sha256 == signer.fingerprint_sha256), None)
    if row is None:
        return Rejection(
            "signature.certificate_unknown", f"{serial} is not registered for {sender}"
        )
    if row.revoked_at is not None and row.revoked_at <= now:
        return Rejection(
            "signature.revoked", f"{serial} was revoked at {row.revoked_at.isoformat()}"
        )
    if row.valid_until is not None and row.valid_until <= now:
        return Rejection(
            "signature.certificate_retired",
            f"{serial} was replaced; its overlap ended at {row.valid_until.isoformat()}",
        )
    return None
