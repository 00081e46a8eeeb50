"""Migration 0010 tells apart the deadlines a closure or a plan revision stopped from those met."""

from datetime import datetime, timedelta

from sqlalchemy import Connection, text

from hub.store import make_engine
from hub.store.migrate import upgrade

T0 = datetime(2026, 11, 20, 9, 0)
#: When the hub received the plan revision that dropped A2, and the closure.
PLAN_V2_AT = T0 + timedelta(days=2)
CLOSED_AT = T0 + timedelta(days=5)


def _message(connection: Connection, n: int, message_type: str, at: datetime) -> None:
    connection.execute(
        text(
            "INSERT INTO message_log (message_id, sender, message_type, schema_version,"
            " priority, case_ref, created_at, received_at, raw, sha256, prev_hash, chain_hash,"
            " signer_fingerprint) VALUES (:id, 'social', :type, '1.0', 'routine', 'KAM-9',"
            " :at, :at, :raw, :h, :h, :h, :h)"
        ),
        {
            "id": f"00000000-0000-4000-8000-00000000000{n}",
            "type": message_type,
            "at": at,
            "raw": b"<x/>",
            "h": "0" * 64,
        },
    )


def _action(connection: Connection, action_id: str, *, in_plan: bool) -> None:
    connection.execute(
        text(
            "INSERT INTO case_action (case_id, plan_id, plan_version, action_id, measure,"
            " help_type, responsible_agency, executor, deadline, due_at, status, status_at,"
            " in_plan) VALUES (1, 'P1', 1, :action_id, 'М', 'social', 'health', 'health',"
            " :deadline, :due, 'assigned', :at, :in_plan)"
        ),
        {
            "action_id": action_id,
            "deadline": T0.date(),
            "due": T0,
            "at": T0,
            "in_plan": in_plan,
        },
    )


def _deadline(connection: Connection, kind: str, subject: str, met_at: datetime | None) -> None:
    connection.execute(
        text(
            "INSERT INTO case_deadline (case_id, kind, subject, responsible, due_at, met_at)"
            " VALUES (1, :kind, :subject, 'health', :due, :met)"
        ),
        {"kind": kind, "subject": subject, "due": T0, "met": met_at},
    )


def test_stopped_deadlines_get_the_outcome_that_stopped_them(empty_database_url: str) -> None:
    # Given a 0009 database: a case whose plan v2 dropped A2 and whose closure stopped
    # A1's clock and the report's, the survey having been met before
    engine = make_engine(empty_database_url)
    try:
        upgrade(engine, "0009")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO case_file (id, case_ref, state, urgent, opened_at, updated_at)"
                    " VALUES (1, 'KAM-9', 'closure', false, :at, :at)"
                ),
                {"at": T0},
            )
            _message(connection, 1, "SupportPlan", PLAN_V2_AT)
            _message(connection, 2, "CaseClosure", CLOSED_AT)
            _action(connection, "A1", in_plan=True)
            _action(connection, "A2", in_plan=False)
            _deadline(connection, "survey", "", T0 + timedelta(hours=1))
            _deadline(connection, "action", "A2", PLAN_V2_AT)
            _deadline(connection, "action", "A1", CLOSED_AT)
            _deadline(connection, "report", "health:2026-12-31", CLOSED_AT)
            _deadline(connection, "plan", "", None)

        # When it is upgraded
        upgrade(engine)

        # Then each stopped clock says how it stopped; the running one says nothing
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT kind, subject, outcome, in_hours FROM case_deadline ORDER BY id")
            ).all()
        assert [tuple(r) for r in rows] == [
            ("survey", "", "met", False),
            ("action", "A2", "dropped", False),
            ("action", "A1", "withdrawn", False),
            ("report", "health:2026-12-31", "withdrawn", False),
            ("plan", "", None, False),
        ]
    finally:
        engine.dispose()
