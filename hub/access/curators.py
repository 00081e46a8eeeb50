"""Audited curator assignments: a supervisor makes a curator account the curator of a case.

The page's form, the JSON API and ``hub cases assign`` all go through
``assign_case_curator``, which writes the assignment and its ``case.assign`` audit row
in one transaction. A refused assignment is audited too (``case.assign_refused``).
"""

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from hub.cases import (
    CaseNotVisible,
    CuratorAssignment,
    CuratorChoice,
    CuratorNotAssignable,
    Viewer,
    assign_curator,
    assignable_curators,
)
from hub.people import record_audit
from hub.runtime import HubRuntime


def assign_case_curator(
    sessions: sessionmaker[Session],
    viewer: Viewer,
    case_ref: str,
    curator_login: str,
    *,
    now: datetime,
    client: str,
    channel: str,
) -> CuratorAssignment:
    """Assign ``curator_login`` to curate ``case_ref``, with the audit row, committed.

    Takes a session factory rather than the runtime, so ``hub cases assign`` needs no
    keys or broker.

    Raises:
        PermissionError: ``viewer`` is not a supervisor.
        CaseNotVisible: no such case in the supervisor's region.
        CuratorNotAssignable: the account cannot curate the case (its ``reason`` says why).
    """
    try:
        with sessions.begin() as session:
            done = assign_curator(session, viewer, case_ref, curator_login, now=now)
            record_audit(
                session,
                viewer=viewer,
                login=viewer.login,
                action="case.assign",
                case_ref=case_ref,
                # Staff ids, not names: the audit detail holds no personal data.
                detail=f"channel={channel} from={done.from_staff_id or '-'} to={done.to_staff_id}",
                client=client,
                now=now,
            )
            return done
    except (CaseNotVisible, CuratorNotAssignable) as exc:
        reason = exc.reason if isinstance(exc, CuratorNotAssignable) else "not_visible"
        with sessions.begin() as session:
            record_audit(
                session,
                viewer=viewer,
                login=viewer.login,
                action="case.assign_refused",
                case_ref=case_ref[:64],
                detail=f"channel={channel} reason={reason}",
                client=client,
                now=now,
            )
        raise


def curator_choices(runtime: HubRuntime, viewer: Viewer) -> list[CuratorChoice]:
    """The curator accounts the supervisor ``viewer`` may assign in their region."""
    with runtime.session_factory() as session:
        return assignable_curators(session, viewer.region)
