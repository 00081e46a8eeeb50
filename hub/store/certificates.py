"""Queries over the certificates partners may sign with (``partner_certificate``).

Every function takes the caller's ``Session`` and never commits.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from hub.store.models.messages import Partner, PartnerCertificate

__all__ = [
    "CertificateStanding",
    "certificate_standings",
    "find_partner_certificates",
    "live_certificates",
]


class CertificateStanding(NamedTuple):
    """What ingest needs of a registered certificate: is it this one, and may it still sign."""

    fingerprint_sha256: str
    valid_until: datetime | None
    revoked_at: datetime | None


#: Built once: ingest runs it for every message.
_STANDINGS = (
    select(
        PartnerCertificate.fingerprint_sha256,
        PartnerCertificate.valid_until,
        PartnerCertificate.revoked_at,
    )
    .join(Partner, Partner.id == PartnerCertificate.partner_id)
    .where(Partner.code == bindparam("code"))
)


def certificate_standings(session: Session, code: str) -> list[CertificateStanding]:
    """The standing of every certificate registered for partner ``code``; empty when none is.

    Plain columns on the session's connection, not ORM rows: ingest runs this for
    every message.
    """
    result = session.connection().execute(_STANDINGS, {"code": code})
    return [CertificateStanding(*row) for row in result]


def find_partner_certificates(session: Session, code: str) -> Sequence[PartnerCertificate]:
    """Every certificate registered for partner ``code``, oldest first; empty when none is."""
    return session.scalars(
        select(PartnerCertificate)
        .join(Partner, Partner.id == PartnerCertificate.partner_id)
        .where(Partner.code == code)
        .order_by(PartnerCertificate.id)
    ).all()


def live_certificates(
    session: Session, partner_id: int, *, now: datetime
) -> Sequence[PartnerCertificate]:
    """The partner's certificates that may sign at ``now`` (not revoked, overlap not over)."""
    return session.scalars(
        select(PartnerCertificate)
        .where(
            PartnerCertificate.partner_id == partner_id,
            PartnerCertificate.revoked_at.is_(None),
            PartnerCertificate.valid_until.is_(None) | (PartnerCertificate.valid_until > now),
        )
        .order_by(PartnerCertificate.id)
    ).all()
