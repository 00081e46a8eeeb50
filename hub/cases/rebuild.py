"""Rebuild every case from the message log: ``hub cases rebuild``.

The projection is a function of the log, so after a change in its rules (or to
repair a database restored from backup) the case tables can be dropped and
replayed. The chain head stays locked throughout, so no message is accepted in
the middle of a rebuild and missed by it. Supervisors' curator assignments are not
in the log: they are kept apart and re-applied where they still hold (``curators``).
"""

from collections.abc import Callable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hub.cases.curators import reapply_curator_assignments
from hub.cases.projection import CaseProjector
from hub.errors import BodyArchived
from hub.store import (
    CaseAction,
    CaseActionStatus,
    CaseConflict,
    CaseConsent,
    CaseDeadline,
    CaseFile,
    CasePlan,
    CaseReferral,
    CaseReport,
    ChainHead,
    MessageLog,
)
from schemas import canonical as c
from schemas import parse_xml, payload_of, read_header

#: Where a logged message's bytes come from: the log, or its archive (``hub.archive``).
BodySource = Callable[[MessageLog], bytes]
#: Messages loaded per round trip while replaying.
REPLAY_BATCH = 500
#: Case tables, children before parents.
_CASE_TABLES = (
    CaseActionStatus,
    CaseConflict,
    CaseConsent,
    CaseDeadline,
    CaseReport,
    CaseAction,
    CasePlan,
    CaseReferral,
    CaseFile,
)


def stored_body(logged: MessageLog) -> bytes:
    """The message's bytes as the log holds them.

    Raises:
        BodyArchived: they were moved to an archive file.
    """
    if logged.archive_name is not None:
        reason = f"тело сообщения перенесено в архив {logged.archive_name}; архивы не переданы"
        raise BodyArchived(logged.id, logged.archive_name, None, reason)
    return logged.raw


def rebuild_cases(
    session: Session, projector: CaseProjector, *, bodies: BodySource = stored_body
) -> int:
    """Empty the case tables and replay the whole log in order; the number of messages replayed.

    Each message is projected as of its ``received_at``, as it was when accepted, from
    the bytes ``bodies`` gives (an archived message's from its archive file).
    The caller owns the transaction (one, so a failed rebuild leaves the old projection).

    Raises:
        BodyArchived: an archived body could not be read; nothing of the rebuild stays
            once the caller rolls back.
    """
    session.execute(select(ChainHead).where(ChainHead.id == 1).with_for_update()).scalar_one()
    for table in _CASE_TABLES:
        session.execute(delete(table))
    replayed, last_id = 0, 0
    while True:
        batch = session.scalars(
            select(MessageLog)
            .where(MessageLog.id > last_id)
            .order_by(MessageLog.id)
            .limit(REPLAY_BATCH)
        ).all()
        if not batch:
            reapply_curator_assignments(session)
            return replayed
        for logged in batch:
            # The log holds only verified, validated messages; parsing stays the safe
            # parser all the same.
            envelope = parse_xml(bodies(logged))
            header = read_header(envelope)
            payload = c.read_payload(header, payload_of(envelope))
            projector.project(session, header, payload, log_id=logged.id, now=logged.received_at)
            replayed += 1
        last_id = batch[-1].id
