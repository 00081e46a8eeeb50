"""The audit log: one row per action, with who and what, filtered newest first."""

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from hub.cases.scope import Role, Viewer
from hub.people import find_person, list_audit, record_audit
from tests.unit.people.people_data import NOW

CURATOR = Viewer(
    login="ivanova",
    display_name="Иванова Анна Петровна",
    role=Role.CURATOR,
    region="kamchatka",
    agency="social",
    visible_classes=frozenset({"health", "conduct", "social"}),
)


def test_a_row_records_who_did_what_to_which_case(
    session_factory: sessionmaker[Session], curator_login: str
) -> None:
    with session_factory.begin() as session:
        record_audit(
            session,
            viewer=CURATOR,
            login=CURATOR.login,
            action="case.view",
            case_ref="KAM-2026-0001",
            detail="tab=plan",
            reason="плановый визит",
            client="10.0.0.1",
            now=NOW,
        )
    with session_factory() as session:
        [row] = list_audit(session)
        person = find_person(session, curator_login)
        assert person is not None
        assert (row.at, row.person_id, row.login, row.role, row.action) == (
            NOW,
            person.id,
            "ivanova",
            "curator",
            "case.view",
        )
        assert (row.case_ref, row.detail, row.reason, row.client) == (
            "KAM-2026-0001",
            "tab=plan",
            "плановый визит",
            "10.0.0.1",
        )


def test_a_row_without_a_viewer_keeps_the_login_and_no_role(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as session:
        record_audit(
            session, viewer=None, login="x" * 80, action="login.refused", client=None, now=NOW
        )
    with session_factory() as session:
        [row] = list_audit(session)
        assert (row.person_id, row.login, row.role, row.client) == (None, "x" * 64, "", None)


def test_record_audit_leaves_the_commit_to_the_caller(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory() as session:
        record_audit(session, viewer=CURATOR, login="ivanova", action="x", client=None, now=NOW)
        session.rollback()
    with session_factory() as session:
        assert list_audit(session) == []


def test_rows_are_filtered_by_login_case_and_time_newest_first(
    session_factory: sessionmaker[Session], curator_login: str
) -> None:
    with session_factory.begin() as session:
        for minute, (login, case_ref) in enumerate(
            [("ivanova", "A"), ("petrov", "A"), ("ivanova", "B"), ("ivanova", None)]
        ):
            record_audit(
                session,
                viewer=None,
                login=login,
                action="case.view",
                case_ref=case_ref,
                client=None,
                now=NOW + timedelta(minutes=minute),
            )
    with session_factory() as session:

        def cases(**filters: Any) -> list[tuple[str, str | None]]:
            rows = list_audit(session, **filters)
            return [(row.login, row.case_ref) for row in rows]

        assert cases() == [("ivanova", None), ("ivanova", "B"), ("petrov", "A"), ("ivanova", "A")]
        assert cases(login="ivanova", limit=2) == [("ivanova", None), ("ivanova", "B")]
        assert cases(case_ref="A") == [("petrov", "A"), ("ivanova", "A")]
        assert cases(since=NOW + timedelta(minutes=2)) == [("ivanova", None), ("ivanova", "B")]
