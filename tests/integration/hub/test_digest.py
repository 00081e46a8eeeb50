"""The daily «требует внимания» e-mail: to each opted-in curator and supervisor, once a day.

A real SMTP server (aiosmtpd on a loopback port the system picks) receives what the job
sends; the job runs against the real database with the seeded cases.
"""

import socket
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from hub.cases.scope import Role
from hub.cli.app import app
from hub.config import Settings
from hub.digest import send_digests
from hub.people import PersonInvalid, add_person, list_audit, set_digest
from hub.regions import load_regions
from hub.routing import load_rules
from tests.case_data import CURATOR_ACCOUNT_NAME, CURATOR_STAFF_ID, KAMCHATKA, seed_cases
from tests.smtp import Inbox

REGIONS = load_regions()
RULES = load_rules(None)
PASSWORD = "пароль-для-проверки-2026"


def _settings(data_dir: Path, database_url: str, port: int) -> Settings:
    # Hour 0: the day's summary is due whenever the test runs.
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_from="hub@example.org",
        digest_hour=0,
    )


@pytest.fixture
def people(session_factory: sessionmaker[Session]) -> datetime:
    """The seeded cases; the curator and the supervisor opted in, an officer not; now."""
    now = datetime.now(UTC)
    with session_factory.begin() as session:
        seed_cases(session, now)
        for login, name, role, agency, staff_id in (
            ("semenova", CURATOR_ACCOUNT_NAME, Role.CURATOR, "social", CURATOR_STAFF_ID),
            ("supervisor", "Руководитель Камчатки", Role.SUPERVISOR, None, None),
            ("officer", "Врач Поликлиники", Role.OFFICER, "health", None),
        ):
            add_person(
                session,
                login=login,
                display_name=name,
                role=role,
                region=KAMCHATKA,
                agency=agency,
                password=PASSWORD,
                now=now,
                staff_id=staff_id,
            )
        set_digest(session, "semenova", email="semenova@example.org", opt_in=True)
        set_digest(session, "supervisor", email="boss@example.org", opt_in=True)
        with pytest.raises(PersonInvalid) as refused:
            set_digest(session, "officer", email="doctor@example.org", opt_in=True)
        assert refused.value.reason == "digest_role"
    return now


def test_each_opted_in_person_gets_one_summary_a_day(
    data_dir: Path,
    database_url: str,
    session_factory: sessionmaker[Session],
    inbox: Inbox,
    people: datetime,
) -> None:
    settings = _settings(data_dir, database_url, inbox.port)
    now = people

    first = send_digests(settings, session_factory, RULES, REGIONS, now=now)
    again = send_digests(settings, session_factory, RULES, REGIONS, now=now + timedelta(minutes=5))
    next_day = send_digests(settings, session_factory, RULES, REGIONS, now=now + timedelta(days=1))

    assert (first, again, next_day) == (2, 0, 2)
    by_address = {m["To"]: m for m in inbox.messages[:2]}
    assert set(by_address) == {"semenova@example.org", "boss@example.org"}
    letter = by_address["semenova@example.org"]
    body = letter.get_payload(decode=True)
    assert isinstance(body, bytes)
    text = body.decode("utf-8")
    assert "Требует внимания" in str(make_header(decode_header(letter["Subject"])))
    assert "Дело KAM-1" in text
    assert "просрочено" in text
    assert "KLG-1" not in text  # another region's case
    with session_factory() as session:
        digests = [r.login for r in list_audit(session) if r.action == "attention.digest"]
    assert sorted(digests) == ["semenova", "semenova", "supervisor", "supervisor"]


def test_a_summary_the_server_refused_is_sent_by_a_later_pass(
    data_dir: Path,
    database_url: str,
    session_factory: sessionmaker[Session],
    inbox: Inbox,
    people: datetime,
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as closed:
        dead_port = closed.getsockname()[1]
    down = _settings(data_dir, database_url, dead_port)

    failed = send_digests(down, session_factory, RULES, REGIONS, now=people)
    later = send_digests(
        _settings(data_dir, database_url, inbox.port), session_factory, RULES, REGIONS, now=people
    )

    assert (failed, later) == (0, 2)
    assert len(inbox.messages) == 2


def test_people_opt_in_on_the_command_line(settings: Settings, people: datetime) -> None:
    # ``settings`` brings the PKI the CLI's runtime loads.
    env = {
        "HUB_DATA_DIR": str(settings.data_dir),
        "DATABASE_URL": settings.effective_database_url,
    }
    runner = CliRunner()

    off = runner.invoke(app, ["people", "digest", "semenova", "--off"], env=env)
    bad = runner.invoke(app, ["people", "digest", "semenova", "--email", "nope", "--on"], env=env)
    attention = runner.invoke(app, ["cases", "attention", "--region", KAMCHATKA], env=env)
    unknown = runner.invoke(app, ["cases", "attention", "--region", "tver"], env=env)

    assert off.exit_code == 0, off.output
    assert bad.exit_code != 0
    assert "e-mail address" in bad.output
    assert attention.exit_code == 0, attention.output
    assert "KAM-1" in attention.output
    assert "KLG-1" not in attention.output
    assert unknown.exit_code != 0
