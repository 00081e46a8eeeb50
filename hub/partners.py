"""Partner systems registered with the hub, their API keys and their signing certificates.

An API key is ``hubk_<key id>_<secret>``: the key id finds the key's row, the secret
is checked against its argon2id hash. A partner may hold several keys at once: a
rotation issues a new one and lets the old one work until the overlap ends, so the
partner switches without an outage. A verified secret is remembered in the process
(by its SHA-256 and the stored hash), so argon2's cost is paid once per key and
process, not per message. ``PartnerKeys`` remembers a key that passed, with its
expiry, for ``HUB_CREDENTIAL_CACHE_S`` seconds (``hub.recent``): a revocation or a
disabled partner takes effect within that bound, an expiry at its moment.

Certificates follow the same design: the hub records which certificates (by SHA-256
fingerprint) each partner may sign with; a rotation registers a new one and gives the
old ones ``valid_until = now + overlap``; a revocation ends one at once in the record,
which ingest checks after the signature (``hub.ingest.certificates``, within the same
bound).
"""

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, sessionmaker

from hub.errors import Rejection
from hub.recent import Recent
from hub.store import (
    DeliveryMode,
    Partner,
    PartnerApiKey,
    PartnerCertificate,
    find_partner_certificates,
    live_certificates,
)

_KEY_PREFIX = "hubk"
#: Keys issued before argon2 (migration 0005) keep their SHA-256 until rotated.
_LEGACY_PREFIX = "sha256$"
#: Secrets are 256 random bits, so the OWASP minimum argon2id profile is ample.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)
#: (key id, SHA-256 of the secret) → the stored hash it was verified against.
_VERIFIED: dict[tuple[str, str], str] = {}
#: Bound on remembered verifications (one per live key and process in practice).
_VERIFIED_MAX = 1_024


@dataclass(frozen=True)
class IssuedKey:
    """A newly issued API key: shown once, stored only as a hash."""

    key_id: str
    secret_key: str


def register_partner(
    session: Session,
    *,
    code: str,
    organisation: str,
    adapter: str,
    delivery_mode: DeliveryMode,
    endpoint: str | None,
    now: datetime,
) -> tuple[Partner, IssuedKey]:
    """Create or update partner ``code`` and issue it a new API key; old keys stop working."""
    partner = find_partner(session, code)
    if partner is None:
        partner = Partner(code=code, created_at=now)
        session.add(partner)
    partner.organisation = organisation
    partner.adapter = adapter
    partner.delivery_mode = delivery_mode
    partner.endpoint = endpoint
    partner.active = True
    session.flush()
    return partner, issue_api_key(session, partner, now=now, overlap=None)


def set_partner_delivery(
    session: Session, code: str, *, mode: DeliveryMode, endpoint: str | None
) -> Partner:
    """How the hub reaches partner ``code`` from now on: push to ``endpoint``, or its inbox.

    Raises:
        LookupError: no partner ``code``.
        ValueError: push without an endpoint.
    """
    if mode is DeliveryMode.PUSH and not endpoint:
        raise ValueError(f"{code} is delivered by push: give its endpoint")
    partner = get_partner(session, code)
    partner.delivery_mode = mode
    partner.endpoint = endpoint if mode is DeliveryMode.PUSH else None
    return partner


def rotate_api_key(session: Session, code: str, *, now: datetime, overlap: timedelta) -> IssuedKey:
    """A new key for partner ``code``; its current keys keep working for ``overlap``.

    Raises:
        LookupError: no partner ``code``.
    """
    return issue_api_key(session, get_partner(session, code), now=now, overlap=overlap)


def issue_api_key(
    session: Session, partner: Partner, *, now: datetime, overlap: timedelta | None
) -> IssuedKey:
    """Store a fresh key's hash; the partner's other live keys end now, or after ``overlap``."""
    for key in live_keys(session, partner, now=now):
        if overlap is None:
            key.revoked_at = now
        else:
            ends = now + overlap
            key.expires_at = min(key.expires_at, ends) if key.expires_at else ends
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    session.add(
        PartnerApiKey(
            partner_id=partner.id, key_id=key_id, key_hash=_HASHER.hash(secret), created_at=now
        )
    )
    session.flush()
    return IssuedKey(key_id, f"{_KEY_PREFIX}_{key_id}_{secret}")


def live_keys(session: Session, partner: Partner, *, now: datetime) -> Sequence[PartnerApiKey]:
    """The partner's keys that authenticate at ``now``, oldest first."""
    return session.scalars(
        select(PartnerApiKey)
        .where(
            PartnerApiKey.partner_id == partner.id,
            PartnerApiKey.revoked_at.is_(None),
            (PartnerApiKey.expires_at.is_(None)) | (PartnerApiKey.expires_at > now),
        )
        .order_by(PartnerApiKey.id)
    ).all()


#: The presented key's row and its partner in one round trip of plain columns, built
#: once and run on the session's connection (no ORM rows): it runs for every message.
_KEY_STANDING = (
    select(
        PartnerApiKey.key_hash,
        PartnerApiKey.revoked_at,
        PartnerApiKey.expires_at,
        Partner.code,
        Partner.active,
    )
    .join(Partner, Partner.id == PartnerApiKey.partner_id)
    .where(PartnerApiKey.key_id == bindparam("key_id"))
)


def authenticate(session: Session, presented: str | None, *, now: datetime) -> Partner:
    """Return the active partner that owns the presented API key.

    Raises:
        Rejection: as ``authenticate_code``.
    """
    return get_partner(session, authenticate_code(session, presented, now=now))


def authenticate_code(session: Session, presented: str | None, *, now: datetime) -> str:
    """Return the code of the active partner that owns the presented API key.

    Raises:
        Rejection: ``auth.missing_credentials``, ``auth.invalid_credentials`` (also for an
            expired or revoked key), ``auth.partner_inactive``.
    """
    return _key_standing(session, presented, now=now).code


@dataclass(frozen=True)
class _KeyStanding:
    """Whom an API key that passed authenticates, and until when (None: no end set yet)."""

    code: str
    expires_at: datetime | None


class PartnerKeys:
    """``authenticate_code`` with each key that passed remembered for ``ttl_s`` seconds.

    A busy partner's requests then read no database row; a refusal is never remembered.
    Built once per process and shared between threads.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        ttl_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessions = sessions
        self._passed: Recent[bytes, _KeyStanding] = Recent(ttl_s, clock=clock)

    def authenticate_code(self, presented: str | None, *, now: datetime) -> str:
        """As ``authenticate_code``; a key that passed within ``ttl_s`` is not read again,
        but its expiry still holds at ``now``.

        Raises:
            Rejection: as ``authenticate_code``.
        """
        # Remembered by digest, so the process holds no more secrets than it is sent.
        digest = hashlib.sha256(presented.encode()).digest() if presented else b""
        standing = self._passed.find(digest)
        if standing is None or (standing.expires_at is not None and standing.expires_at <= now):
            with self._sessions() as session:
                standing = _key_standing(session, presented, now=now)
            self._passed.put(digest, standing)
        return standing.code


def _key_standing(session: Session, presented: str | None, *, now: datetime) -> _KeyStanding:
    if not presented:
        raise Rejection("auth.missing_credentials")
    prefix, _, rest = presented.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != _KEY_PREFIX or not key_id or not secret:
        raise Rejection("auth.invalid_credentials")
    row = session.connection().execute(_KEY_STANDING, {"key_id": key_id}).first()
    if row is None or not _secret_matches(key_id, row.key_hash, secret):
        raise Rejection("auth.invalid_credentials")
    if row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
        raise Rejection("auth.invalid_credentials", f"API key {key_id} is no longer valid")
    if not row.active:
        raise Rejection("auth.partner_inactive", f"partner {row.code} is disabled")
    return _KeyStanding(row.code, row.expires_at)


class CertificateIdentity(Protocol):
    """What the hub records of a certificate (``signing.SignerIdentity`` has it)."""

    @property
    def fingerprint_sha256(self) -> str: ...
    @property
    def serial_number(self) -> int: ...
    @property
    def not_after(self) -> datetime: ...


def find_partner(session: Session, code: str) -> Partner | None:
    """Partner ``code``, if it is registered."""
    return session.scalar(select(Partner).where(Partner.code == code))


def get_partner(session: Session, code: str) -> Partner:
    """Partner ``code``.

    Raises:
        LookupError: no partner ``code``.
    """
    partner = find_partner(session, code)
    if partner is None:
        raise LookupError(f"no partner {code}")
    return partner


def register_certificate(
    session: Session,
    partner: Partner,
    certificate: CertificateIdentity,
    *,
    now: datetime,
    overlap: timedelta | None,
) -> PartnerCertificate:
    """Let ``partner`` sign with ``certificate``; its other live ones end now, or after ``overlap``.

    The caller has checked that the certificate is trusted and names ``partner``.

    Raises:
        ValueError: the certificate is registered already (for this or another partner).
    """
    taken = session.scalar(
        select(PartnerCertificate.id).where(
            PartnerCertificate.fingerprint_sha256 == certificate.fingerprint_sha256
        )
    )
    if taken is not None:
        raise ValueError(f"certificate serial {certificate.serial_number:x} is registered already")
    ends = now if overlap is None else now + overlap
    for row in live_certificates(session, partner.id, now=now):
        row.valid_until = min(row.valid_until, ends) if row.valid_until else ends
    row = PartnerCertificate(
        partner_id=partner.id,
        fingerprint_sha256=certificate.fingerprint_sha256,
        serial_hex=f"{certificate.serial_number:x}",
        not_after=certificate.not_after,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def revoke_certificates(
    session: Session, partner: Partner, *, now: datetime, fingerprint: str | None = None
) -> list[PartnerCertificate]:
    """Revoke the partner's certificate ``fingerprint`` (any registered), or else all its live
    ones; returns them. Ingest refuses them from ``now`` on with ``signature.revoked``.

    Raises:
        LookupError: nothing to revoke (no such certificate, or no live one).
    """
    if fingerprint is None:
        rows = list(live_certificates(session, partner.id, now=now))
    else:
        rows = [
            row
            for row in find_partner_certificates(session, partner.code)
            if row.fingerprint_sha256 == fingerprint.lower() and row.revoked_at is None
        ]
    if not rows:
        raise LookupError(f"partner {partner.code} has no such certificate to revoke")
    for row in rows:
        row.revoked_at = now
    session.flush()
    return rows


def list_partners(session: Session) -> Sequence[Partner]:
    return session.scalars(select(Partner).order_by(Partner.code)).all()


def registered_codes(session: Session) -> set[str]:
    """Codes of the active partners: the only ones routing delivers to."""
    return set(session.scalars(select(Partner.code).where(Partner.active.is_(True))))


def _secret_matches(key_id: str, key_hash: str, secret: str) -> bool:
    fingerprint = (key_id, hashlib.sha256(secret.encode()).hexdigest())
    if _VERIFIED.get(fingerprint) == key_hash:
        return True
    if key_hash.startswith(_LEGACY_PREFIX):
        matches = hmac.compare_digest(key_hash[len(_LEGACY_PREFIX) :], fingerprint[1])
    else:
        try:
            matches = _HASHER.verify(key_hash, secret)
        except (VerificationError, InvalidHashError):
            matches = False
    if matches:
        if len(_VERIFIED) >= _VERIFIED_MAX:
            _VERIFIED.clear()
        _VERIFIED[fingerprint] = key_hash
    return matches


def presented_key_expiry(session: Session, presented: str) -> datetime | None:
    """When an API key that authenticated stops working: None until a rotation sets it."""
    _, _, rest = presented.partition("_")
    key_id = rest.partition("_")[0]
    return session.scalar(select(PartnerApiKey.expires_at).where(PartnerApiKey.key_id == key_id))
