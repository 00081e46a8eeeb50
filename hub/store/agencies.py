"""Agencies and their organisations: which agency each registered partner belongs to.

A partner's ``adapter`` is its agency (police, social, kdn, health, education,
employment). The agency's own system is the partner whose code is the agency's; an
organisation (a school, a hospital) is a partner with its own code registered under an
agency (``hub partners add edu-school-12 --agency education``). Routing and region rules
speak of agencies, so a partner is judged by its agency: these look-ups say which.
"""

from typing import NamedTuple

from sqlalchemy import ColumnElement, bindparam, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from hub.store.models.messages import DeliveryMode, Partner

__all__ = [
    "RegisteredPartner",
    "agency_codes",
    "agency_of",
    "agency_partners_sql",
    "registered_partners",
]


class RegisteredPartner(NamedTuple):
    """An active partner as routing sees it: how it takes delivery, and its agency."""

    mode: DeliveryMode
    agency: str


#: Built once: ingest reads them for every message.
_REGISTERED = select(Partner.code, Partner.delivery_mode, Partner.adapter).where(
    Partner.active.is_(True)
)
_AGENCY_OF = select(Partner.adapter).where(Partner.code == bindparam("code"))


def registered_partners(session: Session) -> dict[str, RegisteredPartner]:
    """The active partners by code; only these are routed to."""
    return {
        code: RegisteredPartner(mode, agency)
        for code, mode, agency in session.connection().execute(_REGISTERED)
    }


def agency_of(session: Session, code: str) -> str:
    """The agency of partner ``code``; a code no partner has (the hub's own) is its own."""
    agency: str | None = session.connection().scalar(_AGENCY_OF, {"code": code})
    return agency or code


def agency_codes(session: Session, agency: str) -> frozenset[str]:
    """The agency's own code and the code of every partner registered under it."""
    return frozenset(
        {agency, *session.scalars(select(Partner.code).where(Partner.adapter == agency))}
    )


def agency_partners_sql(column: InstrumentedAttribute[str], agency: str) -> ColumnElement[bool]:
    """``agency_codes`` as a WHERE clause: ``column`` names the agency or one of its partners."""
    return or_(column == agency, column.in_(select(Partner.code).where(Partner.adapter == agency)))
