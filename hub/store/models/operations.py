"""Operators' work that spans requests: four-eyes evidence requests and bulk replays.

Both are records people act on in turns (request, then approve, then download; start,
then stop), so each turn is checked against the row, never against the caller's memory.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.store.base import Base
from hub.store.types import BigId, intpk


class EvidenceRequest(Base):
    """An auditor's request to export one message's unmasked original (the evidence zip).

    ``status``: ``requested`` → ``approved`` (by another auditor) → ``downloaded`` (once,
    by the requester, before ``expires_at``). Logins are kept as typed at the time, so
    the row names both people even after an account is disabled.
    """

    __tablename__ = "evidence_request"

    id: Mapped[intpk]
    message_log_id: Mapped[int] = mapped_column(BigId, ForeignKey("message_log.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime]
    #: Why the original is needed (a court's request, a complaint); shown to the approver.
    reason: Mapped[str] = mapped_column(String(500))
    approved_by: Mapped[str | None] = mapped_column(String(64))
    approved_at: Mapped[datetime | None]
    #: The approval's end: after it the package can no longer be downloaded.
    expires_at: Mapped[datetime | None]
    downloaded_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"EvidenceRequest(id={self.id}, status={self.status!r})"


class ReplayBatch(Base):
    """A bulk replay of dead deliveries, run in chunks so that it can be stopped.

    The selection is the filters plus ``last_id``, the highest matching row when the batch
    started: rows that die later are not in it. ``cursor`` is the last row a chunk handled;
    ``status`` is ``running``, ``stopped`` (rows after the cursor stay dead) or ``done``.
    """

    __tablename__ = "replay_batch"

    id: Mapped[intpk]
    status: Mapped[str] = mapped_column(String(16))
    started_by: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(500))
    partner: Mapped[str | None] = mapped_column(String(32))
    message_type: Mapped[str | None] = mapped_column(String(64))
    since: Mapped[datetime | None]
    last_id: Mapped[int] = mapped_column(BigId)
    cursor: Mapped[int] = mapped_column(BigId, default=0)
    replayed: Mapped[int] = mapped_column(default=0)
    stopped_by: Mapped[str | None] = mapped_column(String(64))
    stopped_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"ReplayBatch(id={self.id}, status={self.status!r})"
