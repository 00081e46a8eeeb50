"""``hub cases assign``: a supervisor's curator assignment from the command line, audited."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from hub.cases import Role
from hub.cli import app
from hub.people import add_person, list_audit
from hub.store import CaseFile
from tests.case_data import (
    CURATOR_STAFF_ID,
    KAMCHATKA,
    OTHER_CURATOR_NAME,
    OTHER_CURATOR_STAFF_ID,
    seed_cases,
)

PASSWORD = "пароль-для-проверки-2026"


@pytest.fixture
def cli(data_dir: Path, database_url: str, session_factory: sessionmaker[Session]) -> CliRunner:
    """The CLI on the seeded cases, with a supervisor and a curator of Kamchatka."""
    now = datetime.now(UTC)
    with session_factory.begin() as session:
        seed_cases(session, now)
        for login, role, staff_id in (
            ("supervisor", Role.SUPERVISOR, None),
            ("kovalev", Role.CURATOR, OTHER_CURATOR_STAFF_ID),
        ):
            add_person(
                session,
                login=login,
                display_name=OTHER_CURATOR_NAME,
                role=role,
                region=KAMCHATKA,
                agency="social",
                password=PASSWORD,
                now=now,
                staff_id=staff_id,
            )
    return CliRunner(
        env={"HUB_DATA_DIR": str(data_dir), "DATABASE_URL": database_url, "COLUMNS": "200"}
    )


def test_a_case_is_assigned_for_a_supervisor_and_audited(
    cli: CliRunner, session_factory: sessionmaker[Session]
) -> None:
    result = cli.invoke(
        app, ["cases", "assign", "KAM-1", "--curator", "kovalev", "--by", "supervisor"]
    )
    assert result.exit_code == 0, result.output
    assert f"{CURATOR_STAFF_ID} → {OTHER_CURATOR_STAFF_ID}" in result.output
    with session_factory() as session:
        case = session.scalars(select(CaseFile).where(CaseFile.case_ref == "KAM-1")).one()
        assert case.curator_staff_id == OTHER_CURATOR_STAFF_ID
        (last, *_) = list_audit(session)
    assert (last.login, last.action, last.case_ref, last.detail) == (
        "supervisor",
        "case.assign",
        "KAM-1",
        f"channel=cli from={CURATOR_STAFF_ID} to={OTHER_CURATOR_STAFF_ID}",
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["KAM-1", "--curator", "kovalev", "--by", "kovalev"], "is not a supervisor's login"),
        (["KLG-1", "--curator", "kovalev", "--by", "supervisor"], "no case 'KLG-1'"),
        (["KAM-3", "--curator", "kovalev", "--by", "supervisor"], "already curates the case"),
    ],
)
def test_a_refused_assignment_says_why_and_changes_nothing(
    cli: CliRunner, args: list[str], message: str
) -> None:
    result = cli.invoke(app, ["cases", "assign", *args])
    assert result.exit_code == 1
    assert message in result.output
