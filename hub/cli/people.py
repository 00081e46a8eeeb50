"""``hub people`` and ``hub audit``: accounts of people who use the pages, and what they did.

Passwords never appear on the command line (where ``ps`` and shell history would
keep them): they come from a file or are typed twice at a hidden prompt.
"""

import getpass
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from hub.cases import labels
from hub.cases.scope import Role
from hub.cli.common import DataDirOption, console, fail, load_settings
from hub.errors import NotFound
from hub.people import (
    MIN_PASSWORD_CHARS,
    PersonInvalid,
    add_person,
    disable_person,
    list_audit,
    list_people,
    record_audit,
    reset_password,
    set_digest,
    set_staff_id,
)
from hub.runtime import utc_now
from hub.store import make_engine, make_session_factory

app = typer.Typer(help="People who use the hub's pages (accounts).", no_args_is_help=True)

#: Random bytes of a ``--generate``d password (16 bytes: 22 URL-safe characters).
_GENERATED_PASSWORD_BYTES = 16
#: What each refusal of ``add_person`` means, for the person at the terminal.
_INVALID = {
    "login_format": "the login must be 3–64 characters of a-z, 0-9, '.', '_' or '-'",
    "login_taken": "this login is taken",
    "name_required": "--name is required (at most 200 characters)",
    "region_required": "--region is required for every role but administrator, observer, "
    "operator and auditor",
    "region_format": "--region must be a code such as kamchatka",
    "agency_required": "--agency is required for curators and officers",
    "agency_format": "--agency must be a partner system code such as social or health",
    "staff_id_format": "--staff-id must be 1–64 characters, without spaces at the ends",
    "staff_id_not_curator": "--staff-id is for curators only",
    "staff_id_taken": "another account of this region has this --staff-id",
    "password_too_short": f"the password must be at least {MIN_PASSWORD_CHARS} characters",
    "email_format": "--email must be an e-mail address such as name@example.org",
    "email_required": "--digest needs an e-mail address (--email)",
    "digest_role": "the daily summary is for curators and supervisors",
}


@contextmanager
def _database(data_dir: Path | None, *, write: bool) -> Iterator[Session]:
    """A session on the hub's database, committed on success when ``write``."""
    settings = load_settings(data_dir)
    engine = make_engine(settings.effective_database_url)
    factory = make_session_factory(engine)
    try:
        with factory.begin() if write else factory() as session:
            yield session
    finally:
        engine.dispose()


@app.command()
def add(
    login: str = typer.Argument(..., help="Login: a-z, 0-9, '.', '_' or '-', 3–64 characters."),
    name: str = typer.Option(..., "--name", help="Full name (ФИО), as shown on the pages."),
    role: Role = typer.Option(
        ...,
        help="curator, officer, supervisor; or the hub's staff: administrator, observer "
        "(read-only), operator (replay, pause, cancel), auditor (evidence, four eyes).",
    ),
    region: str | None = typer.Option(None, help="Region code, e.g. kamchatka."),
    agency: str | None = typer.Option(None, help="Partner system of the person's agency."),
    staff_id: str | None = typer.Option(
        None,
        "--staff-id",
        help="A curator's staff id in the social centre's system (e.g. a personnel number): "
        "the curator sees the cases whose curator has this id. Without it, none.",
    ),
    password_file: Path | None = typer.Option(
        None,
        "--password-file",
        exists=True,
        dir_okay=False,
        help="Read the password from this file (else it is asked for, twice).",
    ),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Create an account (завести учётную запись сотрудника)."""
    if password_file is not None:
        password = password_file.read_text(encoding="utf-8").rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with _database(data_dir, write=True) as session:
            add_person(
                session,
                login=login,
                display_name=name,
                role=role,
                region=region,
                agency=agency,
                password=password,
                now=utc_now(),
                staff_id=staff_id,
            )
    except PersonInvalid as exc:
        raise fail(_INVALID.get(exc.reason, exc.reason)) from exc
    console.print(f"person [bold]{login}[/bold] added ({role.value})")


@app.command("list")
def list_(data_dir: Path | None = DataDirOption) -> None:
    """Show every account (список учётных записей)."""
    with _database(data_dir, write=False) as session:
        table = Table("login", "name", "role", "region", "agency", "staff id", "active", "since")
        for person in list_people(session):
            table.add_row(
                person.login,
                person.display_name,
                labels.label(labels.ROLE_LABELS, person.role),
                person.region or "—",
                person.agency or "—",
                person.staff_id or "—",
                "yes" if person.active else "no",
                person.created_at.strftime("%Y-%m-%d"),
            )
    console.print(table)


@app.command()
def disable(
    login: str = typer.Argument(..., help="The account to disable."),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Disable an account: it cannot log in, and its open sessions end (заблокировать)."""
    try:
        with _database(data_dir, write=True) as session:
            disable_person(session, login)
    except NotFound as exc:
        raise fail(f"no person with login {login!r}") from exc
    console.print(f"person [bold]{login}[/bold] disabled")


@app.command("reset-password")
def reset_password_(
    login: str = typer.Argument(..., help="The account whose password is forgotten."),
    generate: bool = typer.Option(
        False, "--generate", help="Make a random password and show it once (else it is asked for)."
    ),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Set a new password (сбросить пароль): the person's open sessions end; audited."""
    if generate:
        password = secrets.token_urlsafe(_GENERATED_PASSWORD_BYTES)
    else:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    now = utc_now()
    try:
        with _database(data_dir, write=True) as session:
            ended = reset_password(session, login, password, now=now)
            record_audit(
                session,
                viewer=None,
                login=login,
                action="password.reset",
                detail=f"channel=cli os_user={_os_user()} sessions_ended={ended}",
                client="cli",
                now=now,
            )
    except NotFound as exc:
        raise fail(f"no person with login {login!r}") from exc
    except PersonInvalid as exc:
        raise fail(_INVALID.get(exc.reason, exc.reason)) from exc
    console.print(f"password of [bold]{login}[/bold] reset; open sessions ended: {ended}")
    if generate:
        # Shown once, here: only its argon2 hash is kept.
        console.print(f"new password (give it to the person, it is not shown again): {password}")


@app.command("staff-id")
def staff_id(
    login: str = typer.Argument(..., help="The curator's account."),
    value: str = typer.Argument(..., help="Their staff id in the social centre's system."),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Bind a curator's account to their staff id: they see the cases it curates."""
    try:
        with _database(data_dir, write=True) as session:
            set_staff_id(session, login, value)
    except NotFound as exc:
        raise fail(f"no person with login {login!r}") from exc
    except PersonInvalid as exc:
        raise fail(_INVALID.get(exc.reason, exc.reason)) from exc
    console.print(f"curator [bold]{login}[/bold]: staff id {value}")


@app.command()
def digest(
    login: str = typer.Argument(..., help="The account."),
    email: str | None = typer.Option(None, "--email", help="Where the summary goes."),
    enabled: bool = typer.Option(
        ..., "--on/--off", help="Send (or stop) the daily «требует внимания» e-mail."
    ),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Opt a curator or supervisor in or out of the daily summary by e-mail (рассылка)."""
    try:
        with _database(data_dir, write=True) as session:
            set_digest(session, login, email=email, opt_in=enabled)
    except NotFound as exc:
        raise fail(f"no person with login {login!r}") from exc
    except PersonInvalid as exc:
        raise fail(_INVALID.get(exc.reason, exc.reason)) from exc
    state = "on" if enabled else "off"
    console.print(f"daily summary for [bold]{login}[/bold]: {state}")


def audit(
    login: str | None = typer.Option(None, "--login", help="Only this person's actions."),
    case: str | None = typer.Option(None, "--case", help="Only actions on this case."),
    since: str | None = typer.Option(
        None, "--since", help="Only from this moment on (ISO 8601; UTC unless an offset is given)."
    ),
    limit: int = typer.Option(100, min=1, help="At most this many rows, newest first."),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Show the audit log of people's actions (журнал действий сотрудников)."""
    start = _parse_since(since) if since is not None else None
    with _database(data_dir, write=False) as session:
        rows = list_audit(session, login=login, case_ref=case, since=start, limit=limit)
        table = Table("when (UTC)", "who", "role", "action", "case", "detail", "reason")
        for row in rows:
            table.add_row(
                row.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
                row.login,
                labels.label(labels.ROLE_LABELS, row.role) if row.role else "—",
                row.action,
                row.case_ref or "—",
                row.detail or "—",
                row.reason or "—",
            )
    console.print(table if rows else "no audit entries")


def _os_user() -> str:
    """Who ran the command, for the audit row; a container may have no name for its uid."""
    try:
        return getpass.getuser()
    except OSError:
        return "unknown"


def _parse_since(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise fail(f"--since: not an ISO 8601 date or time: {text!r}") from exc
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
