"""``hub people add|list|disable|staff-id`` and ``hub audit`` against a real database."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from hub.cases.scope import Role, Viewer
from hub.cli import app
from hub.people import (
    LoginRefused,
    find_person,
    find_session,
    log_in,
    open_session,
    record_audit,
)
from hub.store import AuditEntry

PASSWORD = "верный-пароль-2026"


@pytest.fixture
def cli(data_dir: Path, database_url: str) -> CliRunner:
    """The CLI on the migrated test database, with a wide terminal for the tables."""
    return CliRunner(
        env={"HUB_DATA_DIR": str(data_dir), "DATABASE_URL": database_url, "COLUMNS": "200"}
    )


@pytest.fixture
def password_file(tmp_path: Path) -> Path:
    path = tmp_path / "password.txt"
    path.write_text(PASSWORD + "\n", encoding="utf-8")
    return path


def _can_log_in(session_factory: sessionmaker[Session], login: str, password: str) -> bool:
    with session_factory.begin() as session:
        try:
            log_in(
                session,
                login=login,
                password=password,
                client="cli-test",
                now=datetime.now(UTC),
                max_failures=5,
                window_s=900,
                keep_s=86_400,
            )
        except LoginRefused:
            return False
        return True


def _add_supervisor(cli: CliRunner, login: str, password_file: Path) -> None:
    added = cli.invoke(
        app,
        ["people", "add", login, "--name", "Орлова", "--role", "supervisor",
         "--region", "kamchatka", "--password-file", str(password_file)],
    )  # fmt: skip
    assert added.exit_code == 0, added.output


def test_a_person_added_with_a_password_file_is_listed_and_can_log_in(
    cli: CliRunner, password_file: Path, session_factory: sessionmaker[Session]
) -> None:
    added = cli.invoke(
        app,
        [
            "people", "add", "ivanova", "--name", "Иванова Анна Петровна", "--role", "curator",
            "--region", "kamchatka", "--agency", "social", "--password-file", str(password_file),
        ],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "ivanova" in added.output
    assert PASSWORD not in added.output

    listed = cli.invoke(app, ["people", "list"])
    assert listed.exit_code == 0
    row = next(line for line in listed.output.splitlines() if "ivanova" in line)
    for cell in ("Иванова Анна Петровна", "куратор", "kamchatka", "social", "yes"):
        assert cell in row
    # The trailing newline of the file is not part of the password.
    assert _can_log_in(session_factory, "ivanova", PASSWORD)


def test_the_hubs_staff_roles_need_no_region_and_are_named_in_russian(
    cli: CliRunner, password_file: Path
) -> None:
    for login, role in (("nablyud", "observer"), ("operat", "operator"), ("audit1", "auditor")):
        added = cli.invoke(
            app,
            [
                "people", "add", login, "--name", "Сотрудник узла", "--role", role,
                "--password-file", str(password_file),
            ],
        )  # fmt: skip
        assert added.exit_code == 0, added.output
    listed = cli.invoke(app, ["people", "list"]).output
    for login, name in (
        ("nablyud", "наблюдатель (только просмотр)"),
        ("operat", "оператор доставки"),
        ("audit1", "аудитор"),
    ):
        assert name in next(line for line in listed.splitlines() if login in line)


def test_a_curator_gets_a_staff_id_unique_in_the_region(
    cli: CliRunner, password_file: Path, session_factory: sessionmaker[Session]
) -> None:
    def add(login: str, role: str, staff_id: str) -> str:
        result = cli.invoke(
            app,
            [
                "people", "add", login, "--name", "Иванова Анна Петровна", "--role", role,
                "--region", "kamchatka", "--agency", "social", "--staff-id", staff_id,
                "--password-file", str(password_file),
            ],
        )  # fmt: skip
        return result.output

    assert "added" in add("ivanova", "curator", "ТН-0101")
    assert "another account of this region has this --staff-id" in add(
        "ivanova2", "curator", "ТН-0101"
    )
    assert "--staff-id is for curators only" in add("officer", "officer", "ТН-0102")
    with session_factory() as session:
        person = find_person(session, "ivanova")
        assert person is not None
        assert person.staff_id == "ТН-0101"
        assert find_person(session, "ivanova2") is None
    row = next(
        line
        for line in cli.invoke(app, ["people", "list"]).output.splitlines()
        if "ivanova" in line
    )
    assert "ТН-0101" in row


def test_an_account_made_before_staff_ids_is_bound_to_one_later(
    cli: CliRunner, password_file: Path, session_factory: sessionmaker[Session]
) -> None:
    for login in ("ivanova", "petrova"):
        added = cli.invoke(
            app,
            [
                "people", "add", login, "--name", "Иванова Анна Петровна", "--role", "curator",
                "--region", "kamchatka", "--agency", "social", "--password-file",
                str(password_file),
            ],
        )  # fmt: skip
        assert added.exit_code == 0, added.output

    bound = cli.invoke(app, ["people", "staff-id", "ivanova", "ТН-0101"])
    taken = cli.invoke(app, ["people", "staff-id", "petrova", "ТН-0101"])
    unknown = cli.invoke(app, ["people", "staff-id", "nobody", "ТН-0103"])

    assert bound.exit_code == 0, bound.output
    assert taken.exit_code != 0
    assert "another account of this region has this --staff-id" in taken.output
    assert "no person with login 'nobody'" in unknown.output
    with session_factory() as session:
        staff_ids = {
            login: getattr(find_person(session, login), "staff_id", None)
            for login in ("ivanova", "petrova")
        }
    assert staff_ids == {"ivanova": "ТН-0101", "petrova": None}


def test_without_a_file_the_password_is_asked_twice(
    cli: CliRunner, session_factory: sessionmaker[Session]
) -> None:
    result = cli.invoke(
        app,
        ["people", "add", "root", "--name", "Администратор", "--role", "administrator"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    with session_factory() as session:
        person = find_person(session, "root")
        assert person is not None
        assert (person.role, person.region, person.agency) == ("administrator", None, None)


def test_an_invalid_account_is_refused_with_the_reason(cli: CliRunner, password_file: Path) -> None:
    result = cli.invoke(
        app,
        ["people", "add", "petrov", "--name", "Петров", "--role", "officer",
         "--region", "kamchatka", "--password-file", str(password_file)],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "--agency is required" in result.output


def test_a_disabled_person_is_listed_inactive_and_cannot_log_in(
    cli: CliRunner, password_file: Path, session_factory: sessionmaker[Session]
) -> None:
    _add_supervisor(cli, "sidorova", password_file)
    assert cli.invoke(app, ["people", "disable", "sidorova"]).exit_code == 0
    row = next(
        line
        for line in cli.invoke(app, ["people", "list"]).output.splitlines()
        if "sidorova" in line
    )
    assert "no" in row.split()
    assert not _can_log_in(session_factory, "sidorova", PASSWORD)
    unknown = cli.invoke(app, ["people", "disable", "nobody"])
    assert unknown.exit_code == 1
    assert "no person with login 'nobody'" in unknown.output


def test_the_audit_command_filters_and_shows_who_did_what(
    cli: CliRunner, session_factory: sessionmaker[Session]
) -> None:
    curator = Viewer("ivanova", "Иванова", Role.CURATOR, "kamchatka", "social", frozenset())
    with session_factory.begin() as session:
        for day, case_ref in ((1, "KAM-1"), (2, "KAM-2"), (3, "KAM-1")):
            record_audit(
                session,
                viewer=curator,
                login="ivanova",
                action="case.view",
                case_ref=case_ref,
                detail="tab=plan",
                reason="плановый визит" if day == 3 else None,
                client="10.0.0.1",
                now=datetime(2026, 11, day, 9, 30, tzinfo=UTC),
            )
        record_audit(
            session,
            viewer=None,
            login="nobody",
            action="login.refused",
            client="10.0.0.9",
            now=datetime(2026, 11, 4, tzinfo=UTC),
        )

    result = cli.invoke(app, ["audit", "--case", "KAM-1"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "case.view" in line]
    assert len(lines) == 2
    assert "2026-11-03 09:30:00" in lines[0]  # newest first
    assert "плановый визит" in lines[0]
    assert "куратор" in lines[0]

    since = cli.invoke(app, ["audit", "--since", "2026-11-02T12:00", "--limit", "5"])
    dates = [line.split()[1] for line in since.output.splitlines() if "2026-11-0" in line]
    assert dates == ["2026-11-04", "2026-11-03"]
    assert "nobody" in since.output
    assert cli.invoke(app, ["audit", "--login", "petrov"]).output.strip() == "no audit entries"
    bad = cli.invoke(app, ["audit", "--since", "вчера"])
    assert bad.exit_code == 1
    assert "ISO 8601" in bad.output


def test_an_administrator_resets_a_password_the_old_one_and_its_sessions_end(
    cli: CliRunner, password_file: Path, session_factory: sessionmaker[Session]
) -> None:
    # Given a supervisor logged in with their password
    _add_supervisor(cli, "orlova", password_file)
    now = datetime.now(UTC)
    with session_factory.begin() as session:
        person = find_person(session, "orlova")
        assert person is not None
        token, _ = open_session(session, person, now=now, ttl_s=3600)

    # When an administrator resets it to a generated one
    reset = cli.invoke(app, ["people", "reset-password", "orlova", "--generate"])

    # Then the new password is shown once, works, the old one does not, the session is over
    assert reset.exit_code == 0, reset.output
    assert "open sessions ended: 1" in reset.output
    shown = reset.output.strip().splitlines()[-1].rsplit(" ", 1)[-1]
    assert len(shown) >= 20
    assert _can_log_in(session_factory, "orlova", shown)
    assert not _can_log_in(session_factory, "orlova", PASSWORD)
    with session_factory() as session:
        assert find_session(session, token, now=now) is None
        # …and the audit says who was reset, from where, without the password
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry is not None
    assert (entry.action, entry.login, entry.client) == ("password.reset", "orlova", "cli")
    assert entry.detail is not None
    assert "sessions_ended=1" in entry.detail
    assert shown not in entry.detail


def test_a_reset_password_is_typed_twice_and_refused_when_short_or_unknown(
    cli: CliRunner, password_file: Path, session_factory: sessionmaker[Session]
) -> None:
    _add_supervisor(cli, "orlova", password_file)
    new = "новый-пароль-на-2027"
    typed = cli.invoke(app, ["people", "reset-password", "orlova"], input=f"{new}\n{new}\n")
    assert typed.exit_code == 0, typed.output
    assert new not in typed.output
    assert _can_log_in(session_factory, "orlova", new)

    short = cli.invoke(app, ["people", "reset-password", "orlova"], input="short\nshort\n")
    assert short.exit_code == 1
    assert "at least 12 characters" in short.output
    unknown = cli.invoke(app, ["people", "reset-password", "nobody"], input=f"{new}\n{new}\n")
    assert unknown.exit_code == 1
    assert "no person with login 'nobody'" in unknown.output
    assert _can_log_in(session_factory, "orlova", new)
