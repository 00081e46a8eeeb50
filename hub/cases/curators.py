"""Who curates a case: the curator the case owner's messages name, or a supervisor assigns.

A curator's account sees the cases whose ``curator_staff_id`` is the account's
``staff_id`` — the stable id the case owner's system sends for its curator
(``Curator/StaffId``), never a match of names. Two sources set it:

- the case owner's messages (ReferralReceipt, CaseDecision, SupportPlan 1.1) name a
  curator with its staff id; a staff id from any other sender (the commission's
  decision) is not taken, so no other partner can steer a case to an account, and a
  curator named without one binds nobody;
- a supervisor of the case's region assigns one of the region's curator accounts.

Which wins: the later word. An assignment made in the hub holds while the owner's
messages keep naming the curator they named before it; once a later message names
another curator (another staff id, or none), that message wins. ``rebuild_cases``
replays the log and then re-applies the assignments made after the owner last named a
curator, which gives the same answer as the live projection.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.cases.queries import CaseNotVisible
from hub.cases.scope import Role, Viewer
from hub.errors import Rejection
from hub.store import CaseCuratorAssignment, CaseFile, Person


class CuratorNotAssignable(Rejection):
    """The account named cannot curate the case: ``request.curator_not_assignable``.

    ``reason`` is a machine code: ``unknown_login``, ``not_a_curator``, ``inactive``,
    ``other_region``, ``no_staff_id`` or ``already_curator``.
    """

    def __init__(self, reason: str) -> None:
        super().__init__("request.curator_not_assignable", reason, reason=reason)
        self.reason = reason


def name_curator(case: CaseFile, *, staff_id: str | None, name: str, at: datetime) -> None:
    """Apply the curator a message names; ``staff_id`` None when the case owner gave none.

    Another curator than the owner named before replaces whoever curates the case, a
    supervisor's assignment included; the same one leaves an assignment in force.
    """
    if staff_id is None:
        # Named without the owner's staff id (a 1.0 message): it binds no account, and its
        # name is shown only while no curator id is known.
        if case.curator_staff_id is None:
            case.curator_name = name
        return
    if staff_id != case.named_curator_staff_id:
        case.named_curator_staff_id = staff_id
        case.curator_named_at = at
        case.curator_staff_id = staff_id
        case.curator_name = name
    elif case.curator_staff_id == staff_id:
        # The same curator, named again: the name as the owner spells it now.
        case.curator_name = name


@dataclass(frozen=True)
class CuratorAssignment:
    """A supervisor's assignment of a case's curator, as recorded."""

    case_ref: str
    at: datetime
    assigned_by: str
    from_staff_id: str | None
    #: [identity]
    from_name: str | None
    to_staff_id: str
    #: [identity]
    to_name: str


@dataclass(frozen=True)
class CuratorChoice:
    """A curator account a supervisor may assign: its login and the name to show."""

    login: str
    #: [identity]
    display_name: str


def assign_curator(
    session: Session, viewer: Viewer, case_ref: str, login: str, *, now: datetime
) -> CuratorAssignment:
    """Make the curator account ``login`` the curator of the case, recorded; the caller commits.

    Raises:
        PermissionError: ``viewer`` is not a supervisor (the routes let only them call).
        CaseNotVisible: no such case in the supervisor's region.
        CuratorNotAssignable: see its reasons.
    """
    if viewer.role is not Role.SUPERVISOR:
        raise PermissionError(f"{viewer.login}: only supervisors assign curators")
    case = session.scalar(
        select(CaseFile).where(CaseFile.case_ref == case_ref, CaseFile.region == viewer.region)
    )
    if case is None:
        raise CaseNotVisible(case_ref)
    person, staff_id = _assignable(
        session.scalar(select(Person).where(Person.login == login)), case
    )
    assignment = CaseCuratorAssignment(
        case_ref=case.case_ref,
        at=now,
        assigned_by=viewer.login,
        from_staff_id=case.curator_staff_id,
        from_name=case.curator_name,
        to_staff_id=staff_id,
        to_name=person.display_name,
    )
    session.add(assignment)
    _apply(case, assignment)
    session.flush()
    return CuratorAssignment(
        case_ref=assignment.case_ref,
        at=assignment.at,
        assigned_by=assignment.assigned_by,
        from_staff_id=assignment.from_staff_id,
        from_name=assignment.from_name,
        to_staff_id=assignment.to_staff_id,
        to_name=assignment.to_name,
    )


def assignable_curators(session: Session, region: str | None) -> list[CuratorChoice]:
    """The active curator accounts of ``region`` that have a staff id, by name."""
    people = session.scalars(
        select(Person)
        .where(
            Person.region == region,
            Person.role == Role.CURATOR.value,
            Person.active.is_(True),
            Person.staff_id.is_not(None),
        )
        .order_by(Person.display_name, Person.login)
    )
    return [CuratorChoice(login=p.login, display_name=p.display_name) for p in people]


def _assignable(person: Person | None, case: CaseFile) -> tuple[Person, str]:
    """The account and its staff id, if it may curate ``case``."""
    if person is None:
        raise CuratorNotAssignable("unknown_login")
    if person.role != Role.CURATOR.value:
        raise CuratorNotAssignable("not_a_curator")
    if not person.active:
        raise CuratorNotAssignable("inactive")
    if person.region != case.region:
        raise CuratorNotAssignable("other_region")
    if person.staff_id is None:
        raise CuratorNotAssignable("no_staff_id")
    if person.staff_id == case.curator_staff_id:
        raise CuratorNotAssignable("already_curator")
    return person, person.staff_id


def _apply(case: CaseFile, assignment: CaseCuratorAssignment) -> None:
    case.curator_staff_id = assignment.to_staff_id
    case.curator_name = assignment.to_name
    case.updated_at = max(case.updated_at, assignment.at)


def reapply_curator_assignments(session: Session) -> int:
    """After a replay of the log: re-apply each case's last assignment, where it still holds.

    It holds when it was made after the case owner last named a curator. Returns how many
    were re-applied.
    """
    last = (
        select(
            CaseCuratorAssignment.case_ref,
            func.max(CaseCuratorAssignment.id).label("id"),
        )
        .group_by(CaseCuratorAssignment.case_ref)
        .subquery()
    )
    rows = session.execute(
        select(CaseFile, CaseCuratorAssignment)
        .join(last, last.c.case_ref == CaseFile.case_ref)
        .join(CaseCuratorAssignment, CaseCuratorAssignment.id == last.c.id)
    ).all()
    applied = 0
    for case, assignment in rows:
        if case.curator_named_at is None or assignment.at > case.curator_named_at:
            _apply(case, assignment)
            applied += 1
    session.flush()
    return applied
