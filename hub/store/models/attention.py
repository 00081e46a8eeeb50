"""The curator's own records beside the case tracker: home visits, and sent daily summaries.

Visits are hub data, entered by curators on the case page or over the API; they are
not messages, so they are not in the message log and ``hub cases rebuild`` (which
replays the log into the case tables) neither drops nor rebuilds them. They are keyed
by the case reference, which a rebuild keeps, not by the case row's id, which it does not.
A daily summary row records that a person's «требует внимания» e-mail for one local
day was sent (or is being sent): its unique key lets one worker, once, send it.
"""

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.store.base import Base
from hub.store.types import BigId, intpk


class CaseVisit(Base):
    """A curator's visit to the family (посещение семьи), as the curator recorded it."""

    __tablename__ = "case_visit"

    id: Mapped[intpk]
    case_ref: Mapped[str] = mapped_column(String(64), index=True)
    #: The day of the visit, in the region's calendar.
    visited_on: Mapped[date]
    #: [social] the curator's short note.
    note: Mapped[str | None] = mapped_column(Text)
    #: The login of the person who recorded it.
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime]


class DigestSent(Base):
    """One person's daily attention summary for one local day: claimed before it is sent."""

    __tablename__ = "digest_sent"
    __table_args__ = (UniqueConstraint("person_id", "local_day"),)

    id: Mapped[intpk]
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("person.id"))
    local_day: Mapped[date]
    sent_at: Mapped[datetime]
