"""Accounts of people who use the hub's pages: created, listed and disabled by administrators.

Each account has a role and a scope (ARCHITECTURE §1, need-to-know): a region for
everyone but the hub's staff (administrators, observers, operators, auditors), and an
agency (partner system code) for officers and curators. A curator's account also carries
their staff id in the case owner's system, the id its messages name the curator by:
without it a curator sees no case.
Validation happens here, once, for the CLI and any future admin page.
"""

import re
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.cases.scope import HUB_ROLES, Role
from hub.errors import NotFound
from hub.people.passwords import hash_password
from hub.people.sessions import end_sessions_of
from hub.store import Person

#: Logins are lowercase ASCII, so they are typed the same way on every keyboard layout.
LOGIN_PATTERN = re.compile(r"[a-z0-9._-]{3,64}")
#: Region and agency codes follow the partner system codes of the routing rules.
_CODE_PATTERN = re.compile(r"[a-z][a-z0-9_-]{1,31}")
#: Shortest password accepted, in characters.
MIN_PASSWORD_CHARS = 12
_MAX_NAME_CHARS = 200
#: A staff id as the messages carry it (c:Identifier): 1–64 characters, no spaces at the ends.
_STAFF_ID_PATTERN = re.compile(r"\S(?:[^\t\n\r]{0,62}\S)?")
#: An e-mail address as the daily summary needs it: one @, no spaces, at most 254 characters.
EMAIL_PATTERN = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")
_MAX_EMAIL_CHARS = 254
#: Roles the daily «требует внимания» summary is for.
DIGEST_ROLES = (Role.CURATOR, Role.SUPERVISOR)


class PersonInvalid(ValueError):
    """An account the hub refuses to create; ``reason`` is a machine code, never the input."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def add_person(
    session: Session,
    *,
    login: str,
    display_name: str,
    role: Role,
    region: str | None,
    agency: str | None,
    password: str,
    now: datetime,
    staff_id: str | None = None,
) -> Person:
    """Create an active account; the caller commits.

    Raises:
        PersonInvalid: reason ``login_format``, ``login_taken``, ``name_required``,
            ``region_required``, ``region_format``, ``agency_required``, ``agency_format``,
            ``staff_id_format``, ``staff_id_not_curator``, ``staff_id_taken`` or
            ``password_too_short``.
    """
    _check_account(login, display_name, role, region, agency, password)
    _check_staff_id(session, staff_id, role, region)
    if find_person(session, login) is not None:
        raise PersonInvalid("login_taken")
    person = Person(
        login=login,
        display_name=display_name.strip(),
        role=role.value,
        region=region,
        agency=agency,
        staff_id=staff_id,
        password_hash=hash_password(password),
        active=True,
        created_at=now,
    )
    session.add(person)
    session.flush()
    return person


def _check_account(
    login: str,
    display_name: str,
    role: Role,
    region: str | None,
    agency: str | None,
    password: str,
) -> None:
    if not LOGIN_PATTERN.fullmatch(login):
        raise PersonInvalid("login_format")
    if not display_name.strip() or len(display_name) > _MAX_NAME_CHARS:
        raise PersonInvalid("name_required")
    if region is None and role not in HUB_ROLES:
        raise PersonInvalid("region_required")
    if region is not None and not _CODE_PATTERN.fullmatch(region):
        raise PersonInvalid("region_format")
    if agency is None and role in (Role.OFFICER, Role.CURATOR):
        raise PersonInvalid("agency_required")
    if agency is not None and not _CODE_PATTERN.fullmatch(agency):
        raise PersonInvalid("agency_format")
    _check_password(password)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise PersonInvalid("password_too_short")


def _check_staff_id(session: Session, staff_id: str | None, role: Role, region: str | None) -> None:
    if staff_id is None:
        return
    if not _STAFF_ID_PATTERN.fullmatch(staff_id):
        raise PersonInvalid("staff_id_format")
    if role is not Role.CURATOR:
        raise PersonInvalid("staff_id_not_curator")
    taken = select(Person.id).where(Person.region == region, Person.staff_id == staff_id)
    if session.scalar(taken) is not None:
        raise PersonInvalid("staff_id_taken")


def find_person(session: Session, login: str) -> Person | None:
    """The account with this login, active or not."""
    return session.scalar(select(Person).where(Person.login == login))


def list_people(session: Session) -> Sequence[Person]:
    """Every account, by login."""
    return session.scalars(select(Person).order_by(Person.login)).all()


def disable_person(session: Session, login: str) -> Person:
    """Deactivate an account: it can no longer log in, and its open sessions stop working.

    Raises:
        NotFound: no account has this login.
    """
    person = find_person(session, login)
    if person is None:
        raise NotFound("person", login)
    person.active = False
    session.flush()
    return person


def reset_password(session: Session, login: str, password: str, *, now: datetime) -> int:
    """Give the account a new password and end its open sessions; the caller commits.

    Returns:
        How many open sessions were ended: whoever held the old password is out.

    Raises:
        NotFound: no account has this login.
        PersonInvalid: reason ``password_too_short``.
    """
    _check_password(password)
    person = find_person(session, login)
    if person is None:
        raise NotFound("person", login)
    person.password_hash = hash_password(password)
    return end_sessions_of(session, person, now=now)


def set_staff_id(session: Session, login: str, staff_id: str) -> Person:
    """Bind an existing curator's account to their staff id; caller commits.

    Accounts made before staff ids existed see no case until they have one.

    Raises:
        NotFound: no account has this login.
        PersonInvalid: reason ``staff_id_format``, ``staff_id_not_curator`` or
            ``staff_id_taken``.
    """
    person = find_person(session, login)
    if person is None:
        raise NotFound("person", login)
    if person.staff_id != staff_id:
        _check_staff_id(session, staff_id, Role(person.role), person.region)
        person.staff_id = staff_id
        session.flush()
    return person


def set_digest(session: Session, login: str, *, email: str | None, opt_in: bool) -> Person:
    """Set the person's e-mail address and whether they get the daily summary; caller commits.

    Raises:
        NotFound: no account has this login.
        PersonInvalid: reason ``email_format``, ``email_required`` (opting in without an
            address) or ``digest_role`` (the summary is for curators and supervisors).
    """
    person = find_person(session, login)
    if person is None:
        raise NotFound("person", login)
    address = email.strip() if email is not None else person.email
    if address is not None and (
        len(address) > _MAX_EMAIL_CHARS or not EMAIL_PATTERN.fullmatch(address)
    ):
        raise PersonInvalid("email_format")
    if opt_in and address is None:
        raise PersonInvalid("email_required")
    if opt_in and Role(person.role) not in DIGEST_ROLES:
        raise PersonInvalid("digest_role")
    person.email = address
    person.digest_opt_in = opt_in
    session.flush()
    return person
