"""The demo's people: a curator per case curator and region, a supervisor per region,
a hospital officer and an administrator, with fresh passwords printed at the end.

Accounts are derived from the cases the run produced, so the curator who logs in
sees exactly the families the simulated centre assigned to them. Each run sets new
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


def demo_accounts(session: Session, *, now: datetime) -> list[DemoAccount]:
    """Create or reset the demo's accounts; the caller commits."""
    wanted = [
        *_curators(session),
        *(
            # The name heads every page the supervisor reads: no region code in it.
            (f"supervisor.{region}", "Руководитель отделения", Role.SUPERVISOR, region, "social")
            for region in _regions(session)
        ),
        ("health.kamchatka", "Специалист роддома", Role.OFFICER, "kamchatka", "health"),
        ("admin", "Администратор узла", Role.ADMINISTRATOR, None, None),
    ]  # fmt: skip
    accounts = []
    for login, name, role, region, agency in wanted:
        account = DemoAccount(login, secrets.token_urlsafe(12), name, role, region, agency)
        _put(session, account, now=now)
        accounts.append(account)
    return accounts


def _curators(session: Session) -> list[tuple[str, str, Role, str, str]]:
    pairs = session.execute(
        select(CaseFile.region, CaseFile.curator_name)
        .where(CaseFile.curator_name.is_not(None), CaseFile.region.is_not(None))
        .distinct()
        .order_by(CaseFile.region, CaseFile.curator_name)
    ).all()
    return [
        (f"{_latin(name.split()[0])}.{region}", name, Role.CURATOR, region, "social")
        for region, name in pairs
        if region and name
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
        )
        return
    person.password_hash = hash_password(account.password)
    person.active = True


def _latin(word: str) -> str:
    return "".join(_LATIN.get(letter, letter) for letter in word.lower())
