"""Operators' alerts: incidents raised by the alert rules, their notifications, and job claims.

An incident is one rule firing about one subject (a partner, a certificate…) from the
first evaluation that found it until the first that did not; a partial unique index
keeps one open incident per (rule, subject), so a second worker cannot open a twin.
Each incident's notifications (one per channel, on opening and on resolution) are rows
written with it and sent afterwards: one that fails stays unsent and is tried again.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from hub.store.base import Base
from hub.store.types import BigId, intpk

_OPEN = text("resolved_at IS NULL")


class AlertIncident(Base):
    """One rule firing about one subject: start, last seen, resolution, repeats, acknowledgement."""

    __tablename__ = "alert_incident"
    __table_args__ = (
        Index(
            "uq_alert_incident_open",
            "rule",
            "subject",
            unique=True,
            sqlite_where=_OPEN,
            postgresql_where=_OPEN,
        ),
    )

    id: Mapped[intpk]
    rule: Mapped[str] = mapped_column(String(64))
    #: What the finding is about, e.g. ``social`` or ``certificate:hub``.
    subject: Mapped[str] = mapped_column(String(200))
    #: The rule's Russian title, as it was when the incident opened.
    title: Mapped[str] = mapped_column(String(300))
    #: The latest finding in words (figures, no personal data).
    detail: Mapped[str] = mapped_column(String(1000))
    started_at: Mapped[datetime] = mapped_column(index=True)
    last_seen_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    #: Later evaluations that found it again while it was open.
    repeats: Mapped[int] = mapped_column(default=0)
    acked_by: Mapped[str | None] = mapped_column(String(64))
    acked_at: Mapped[datetime | None]


class AlertNotification(Base):
    """One notice of an incident's opening or resolution on one channel, sent at most once."""

    __tablename__ = "alert_notification"
    __table_args__ = (UniqueConstraint("incident_id", "event", "channel"),)

    id: Mapped[intpk]
    incident_id: Mapped[int] = mapped_column(BigId, ForeignKey("alert_incident.id"))
    event: Mapped[str] = mapped_column(String(16))  # opened | resolved
    channel: Mapped[str] = mapped_column(String(16))  # email | webhook
    created_at: Mapped[datetime]
    #: A sender holds the notice until then; another may take it after (its sender died).
    claimed_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(1000))


class JobClaim(Base):
    """A periodic job's turn: the worker that moves ``claimed_until`` forward runs the pass."""

    __tablename__ = "job_claim"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    claimed_until: Mapped[datetime]
