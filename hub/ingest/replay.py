"""Replay defence: a MessageId is accepted once per sender, and only while it is fresh."""

from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from hub.errors import Rejection
from hub.store import MessageLog


def check_freshness(
    created_at: datetime, *, now: datetime, max_age_s: int, max_future_skew_s: int
) -> None:
    """Refuse messages created too long ago or in the future.

    Duplicates are caught by MessageId forever; the window bounds how old a
    captured message may be when it is played back under a new MessageId.

    Raises:
        Rejection: ``replay.stale`` or ``replay.future``.
    """
    if created_at < now - timedelta(seconds=max_age_s):
        raise Rejection("replay.stale", f"CreatedAt older than {max_age_s} s")
    if created_at > now + timedelta(seconds=max_future_skew_s):
        raise Rejection("replay.future", f"CreatedAt more than {max_future_skew_s} s ahead")


#: Built once, run on the session's connection: ingest runs it for every message.
_ACCEPTED_ID = select(MessageLog.id).where(
    MessageLog.sender == bindparam("sender"), MessageLog.message_id == bindparam("message_id")
)


def check_not_duplicate(session: Session, *, sender: str, message_id: str) -> None:
    """Refuse a MessageId this sender already used.

    The unique constraint on (sender, message_id) backs this check up when two
    copies race; the pipeline maps that conflict to the same code.

    Raises:
        Rejection: ``replay.duplicate``, carrying the accepted message's hub id.
    """
    existing = session.connection().scalar(
        _ACCEPTED_ID, {"sender": sender, "message_id": message_id}
    )
    if existing is not None:
        raise duplicate(message_id, existing)


def duplicate(message_id: str, hub_id: int | None) -> Rejection:
    """The refusal of a repeated MessageId; ``hub_id`` lets a retrying sender find its receipt."""
    extra = {"hub_id": hub_id} if hub_id is not None else {}
    return Rejection("replay.duplicate", f"MessageId {message_id} already accepted", **extra)
