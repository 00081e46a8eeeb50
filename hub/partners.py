"""Partner systems registered with the hub, and their API keys.

An API key is ``hubk_<key id>_<secret>``: the key id finds the row, the secret is
compared with its stored SHA-256 in constant time. Secrets are 256 random bits,
so a fast hash is enough (a slow password hash guards low-entropy secrets).
"""

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.errors import Rejection
from hub.store import DeliveryMode, Partner

_KEY_PREFIX = "hubk"


@dataclass(frozen=True)
class IssuedKey:
    """A newly issued API key: shown once, stored only as a hash."""

    key_id: str
    secret_key: str


def issue_api_key() -> tuple[IssuedKey, str]:
    """Return a fresh key and the hash to store."""
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    return IssuedKey(key_id, f"{_KEY_PREFIX}_{key_id}_{secret}"), _hash(secret)


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
    """Create or update partner ``code`` and issue it a new API key; the old key stops working."""
    partner = session.scalar(select(Partner).where(Partner.code == code))
    if partner is None:
        partner = Partner(code=code, created_at=now)
        session.add(partner)
    key, key_hash = issue_api_key()
    partner.organisation = organisation
    partner.adapter = adapter
    partner.delivery_mode = delivery_mode
    partner.endpoint = endpoint
    partner.api_key_id = key.key_id
    partner.api_key_hash = key_hash
    partner.active = True
    session.flush()
    return partner, key


def authenticate(session: Session, presented: str | None) -> Partner:
    """Return the active partner that owns the presented API key.

    Raises:
        Rejection: ``auth.missing_credentials``, ``auth.invalid_credentials``,
            ``auth.partner_inactive``.
    """
    if not presented:
        raise Rejection("auth.missing_credentials")
    prefix, _, rest = presented.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != _KEY_PREFIX or not key_id or not secret:
        raise Rejection("auth.invalid_credentials")
    partner = session.scalar(select(Partner).where(Partner.api_key_id == key_id))
    if partner is None or partner.api_key_hash is None:
        raise Rejection("auth.invalid_credentials")
    if not hmac.compare_digest(partner.api_key_hash, _hash(secret)):
        raise Rejection("auth.invalid_credentials")
    if not partner.active:
        raise Rejection("auth.partner_inactive", f"partner {partner.code} is disabled")
    return partner


def list_partners(session: Session) -> Sequence[Partner]:
    return session.scalars(select(Partner).order_by(Partner.code)).all()


def registered_codes(session: Session) -> set[str]:
    """Codes of the active partners: the only ones routing delivers to."""
    return set(session.scalars(select(Partner.code).where(Partner.active.is_(True))))


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
