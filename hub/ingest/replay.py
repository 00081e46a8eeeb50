"""Replay defence: a MessageId is accepted once, whoever sends it, and only while it is fresh."""

from datetime import datetime, timedelta
from typing import NamedTuple

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
_LOGGED_UNDER = select(MessageLog.id, MessageLog.sender).where(
    MessageLog.message_id == bindparam("message_id")
)


class LoggedId(NamedTuple):
    """The message the log holds under a MessageId: its hub id and sender."""

    hub_id: int
    sender: str


def logged_under(session: Session, message_id: str) -> LoggedId | None:
    """The message logged under ``message_id``; at most one, by the unique index."""
    row = session.connection().execute(_LOGGED_UNDER, {"message_id": message_id}).first()
    return None if row is None else LoggedId(row.id, row.sender)


def check_message_id_free(session: Session, *, sender: str, message_id: str) -> None:
    """Refuse a MessageId the log already holds, from this sender or any other.

    Receivers de-duplicate by MessageId alone, so a message under another sender's
    id would be dropped by them as a redelivery: the hub refuses it instead. The
    unique index on ``message_id`` backs this check up when two copies race; the
    pipeline maps that conflict with ``refusal_of_taken`` too.

    Raises:
        Rejection: ``replay.duplicate`` or ``replay.message_id_taken``.
    """
    logged = logged_under(session, message_id)
    if logged is not None:
        raise refusal_of_taken(message_id, sender=sender, logged=logged)


def refusal_of_taken(message_id: str, *, sender: str, logged: LoggedId) -> Rejection:
    """The refusal of ``sender``'s message under a MessageId the log holds as ``logged``.

    The sender's own resend (``replay.duplicate``) learns the accepted copy's hub id,
    so a retrying sender finds its receipt; another sender (``replay.message_id_taken``)
    learns nothing of the message that holds the id: neither its sender nor its hub id.
    """
    if logged.sender == sender:
        return Rejection(
            "replay.duplicate", f"MessageId {message_id} already accepted", hub_id=logged.hub_id
        )
    return Rejection("replay.message_id_taken", f"MessageId {message_id} is taken")
