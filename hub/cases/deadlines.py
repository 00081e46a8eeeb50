"""Deadlines on a case: opened and met by the messages that create and answer obligations.

The projection opens a deadline when a message starts a clock (a receipt starts
the survey's, a plan each action's) and meets it when the answer arrives. Only
action deadlines escalate (the hub's overdue notice); the others show as late
on the case page and in the statistics, derived from ``due_at`` at read time.
"""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from hub.store import CaseAction, CaseDeadline, CaseFile

#: Action statuses after which an action's own deadline no longer runs.
FINISHED_STATUSES = frozenset({"done", "cannot_execute"})
#: Statuses that show an executor has taken the action on.
TAKEN_STATUSES = frozenset({"accepted", "in_progress", *FINISHED_STATUSES})


# Built once: the projection looks deadlines up several times per message.
_DEADLINE = select(CaseDeadline).where(
    CaseDeadline.case_id == bindparam("case_id"),
    CaseDeadline.kind == bindparam("kind"),
    CaseDeadline.subject == bindparam("subject"),
)


def find_deadline(
    session: Session, case: CaseFile, kind: str, subject: str = ""
) -> CaseDeadline | None:
    return session.scalar(_DEADLINE, {"case_id": case.id, "kind": kind, "subject": subject})


def open_deadline(
    session: Session,
    case: CaseFile,
    *,
    kind: str,
    subject: str = "",
    responsible: str,
    due_at: datetime,
) -> CaseDeadline:
    """Start (or move) a clock; a moved deadline may escalate again when it passes."""
    deadline = find_deadline(session, case, kind, subject)
    if deadline is None:
        deadline = CaseDeadline(case_id=case.id, kind=kind, subject=subject)
        session.add(deadline)
    elif deadline.due_at != due_at:
        deadline.escalated_at = None
        deadline.escalation_message_id = None
    deadline.responsible = responsible
    deadline.due_at = due_at
    deadline.met_at = None
    session.flush()
    return deadline


def meet_deadline(
    session: Session, case: CaseFile, *, kind: str, subject: str = "", at: datetime
) -> CaseDeadline | None:
    """Stop a running clock; a deadline already met keeps its first time."""
    deadline = find_deadline(session, case, kind, subject)
    if deadline is not None and deadline.met_at is None:
        deadline.met_at = at
    return deadline


def stop_all_deadlines(session: Session, case: CaseFile, *, at: datetime) -> None:
    """A closed case owes nothing more: every running clock stops."""
    for deadline in session.scalars(
        select(CaseDeadline).where(CaseDeadline.case_id == case.id, CaseDeadline.met_at.is_(None))
    ):
        deadline.met_at = at


def due_action_deadlines(
    session: Session, *, now: datetime, limit: int
) -> Sequence[tuple[CaseDeadline, CaseAction, CaseFile]]:
    """Action deadlines passed without the action done and not yet escalated, oldest first."""
    rows = session.execute(
        select(CaseDeadline, CaseAction, CaseFile)
        .join(CaseFile, CaseFile.id == CaseDeadline.case_id)
        .join(
            CaseAction,
            (CaseAction.case_id == CaseDeadline.case_id)
            & (CaseAction.action_id == CaseDeadline.subject),
        )
        .where(
            CaseDeadline.kind == "action",
            CaseDeadline.met_at.is_(None),
            CaseDeadline.escalated_at.is_(None),
            CaseDeadline.due_at <= now,
            CaseAction.in_plan.is_(True),
        )
        .order_by(CaseDeadline.due_at, CaseDeadline.id)
        .limit(limit)
    )
    return [(deadline, action, case) for deadline, action, case in rows]
