"""The demo's people: a curator per case curator and region, a supervisor per region,
a hospital officer and an administrator, with fresh passwords printed at the end.

Accounts are derived from the cases the run produced, so the curator who logs in
sees exactly the families the simulated centre assigned to them: each curator's
account carries the staff id the centre's messages gave them. Each run sets new
passwords (the demo's data folder is a playground, not production).
"""

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.cases import Role
from hub.people import add_person, find_person, hash_password
from hub.store import CaseFile

_LATIN = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        [
            "a",
            "b",
            "v",
            "g",
            "d",
            "e",
            "e",
            "zh",
            "z",
            "i",
            "y",
            "k",
            "l",
            "m",
            "n",
            "o",
            "p",
            "r",
            "s",
            "t",
            "u",
            "f",
            "kh",
            "ts",
            "ch",
            "sh",
            "shch",
            "",
            "y",
            "",
            "e",
            "yu",
            "ya",
        ],
        strict=True,
    )
)


@dataclass(frozen=True)
class DemoAccount:
    login: str
    password: str
    display_name: str
    role: Role
    region: str | None
    agency: str | None
    #: A curator's staff id in the centre's system (what binds their cases).
    staff_id: str | None = None


def demo_accounts(session: Session, *, now: datetime) -> list[DemoAccount]:
    """Create or reset the demo's accounts; the caller commits."""
    wanted = [
        *_curators(session),
        *(
            # The name heads every page the supervisor reads: no region code in it.
            (f"supervisor.{region}", "Руководитель отделения", Role.SUPERVISOR, region, "social",
             None)
            for region in _regions(session)
        ),
        ("health.kamchatka", "Специалист роддома", Role.OFFICER, "kamchatka", "health", None),
        ("admin", "Администратор узла", Role.ADMINISTRATOR, None, None, None),
    ]  # fmt: skip
    accounts = []
    for login, name, role, region, agency, staff_id in wanted:
        password = secrets.token_urlsafe(12)
        account = DemoAccount(login, password, name, role, region, agency, staff_id)
        _put(session, account, now=now)
        accounts.append(account)
    return accounts


def _curators(session: Session) -> list[tuple[str, str, Role, str, str, str]]:
    found = session.execute(
        select(CaseFile.region, CaseFile.curator_name, CaseFile.curator_staff_id)
        .where(
            CaseFile.curator_name.is_not(None),
            CaseFile.curator_staff_id.is_not(None),
            CaseFile.region.is_not(None),
        )
        .distinct()
        .order_by(CaseFile.region, CaseFile.curator_name)
    ).all()
    return [
        (f"{_latin(name.split()[0])}.{region}", name, Role.CURATOR, region, "social", staff_id)
        for region, name, staff_id in found
        if region and name and staff_id
    ]


def _regions(session: Session) -> list[str]:
    regions = session.scalars(
        select(CaseFile.region).where(CaseFile.region.is_not(None)).distinct()
    )
    return sorted(r for r in regions if r)


def _put(session: Session, account: DemoAccount, *, now: datetime) -> None:
    person = find_person(session, account.login)
    if person is None:
        add_person(
            session,
            login=account.login,
            display_name=account.display_name,
            role=account.role,
            region=account.region,
            agency=account.agency,
            password=account.password,
            now=now,
            staff_id=account.staff_id,
        )
        return
    person.password_hash = hash_password(account.password)
    person.active = True
    person.staff_id = account.staff_id


def _latin(word: str) -> str:
    return "".join(_LATIN.get(letter, letter) for letter in word.lower())
