"""The daily «требует внимания» summary by e-mail, for curators and supervisors who opted in.

Runs in the worker process beside the deadline job (``hub worker``, ``hub serve``) when
``HUB_SMTP_HOST`` is set. Each pass, for every opted-in active person whose local time
(their region's) has reached ``HUB_DIGEST_HOUR``, it claims that person's local day in
``digest_sent`` — a unique row, so a second worker or a restart finds it taken — and
reads their attention items, audited as ``attention.digest`` in the same transaction;
then it sends the e-mail. A send that fails gives the claim back, so a later pass retries;
a process killed between the claim and the send leaves that day unsent rather than sent
twice.
"""

import logging
import smtplib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from hub.cases import AttentionItem, attention_items
from hub.config import Settings
from hub.jobs import run_every
from hub.mail import send_mail
from hub.people import DIGEST_ROLES, record_audit, viewer_for
from hub.regions import RegionRules
from hub.routing import RoutingRules
from hub.store import DigestSent, Person

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Digest:
    """One person's summary for one local day, ready to send."""

    person_id: int
    local_day: date
    to: str
    subject: str
    body: str


def send_digests(
    settings: Settings,
    session_factory: sessionmaker[Session],
    rules: RoutingRules,
    regions: RegionRules,
    *,
    now: datetime,
) -> int:
    """One pass: send the summaries due now; the number sent."""
    sent = 0
    for digest in _claim_due(settings, session_factory, rules, regions, now=now):
        try:
            send_mail(settings, to=[digest.to], subject=digest.subject, body=digest.body)
        except (OSError, smtplib.SMTPException):
            # Give the day back: a later pass tries again.
            with session_factory.begin() as session:
                session.execute(
                    delete(DigestSent).where(
                        DigestSent.person_id == digest.person_id,
                        DigestSent.local_day == digest.local_day,
                    )
                )
            _log.exception("daily summary not sent (person %d)", digest.person_id)
            continue
        sent += 1
    return sent


def run_digests(
    settings: Settings,
    session_factory: sessionmaker[Session],
    rules: RoutingRules,
    regions: RegionRules,
    *,
    clock: Callable[[], datetime],
    stop: threading.Event,
) -> None:
    """Pass with the deadline job's interval until ``stop``."""

    def one_pass(now: datetime) -> None:
        sent = send_digests(settings, session_factory, rules, regions, now=now)
        if sent:
            _log.info("daily summaries sent: %d", sent)

    run_every(
        one_pass,
        clock=clock,
        interval_s=settings.escalation_interval_s,
        stop=stop,
        name="daily summary",
    )


def _claim_due(
    settings: Settings,
    session_factory: sessionmaker[Session],
    rules: RoutingRules,
    regions: RegionRules,
    *,
    now: datetime,
) -> list[Digest]:
    with session_factory() as session:
        people = session.scalars(
            select(Person).where(
                Person.active.is_(True),
                Person.digest_opt_in.is_(True),
                Person.email.is_not(None),
                Person.role.in_([role.value for role in DIGEST_ROLES]),
            )
        ).all()
    digests = []
    for person in people:
        local = regions.for_case(person.region).calendar.local(now)
        if local.hour < settings.digest_hour:
            continue
        digest = _claim(session_factory, person, rules, regions, day=local.date(), now=now)
        if digest is not None:
            digests.append(digest)
    return digests


def _claim(
    session_factory: sessionmaker[Session],
    person: Person,
    rules: RoutingRules,
    regions: RegionRules,
    *,
    day: date,
    now: datetime,
) -> Digest | None:
    """Take the person's day and read their items (audited); None if the day is taken."""
    viewer = viewer_for(person, rules)
    try:
        with session_factory.begin() as session:
            session.add(DigestSent(person_id=person.id, local_day=day, sent_at=now))
            session.flush()
            items = attention_items(session, viewer, regions, now=now)
            record_audit(
                session,
                viewer=viewer,
                login=viewer.login,
                action="attention.digest",
                detail="channel=email",
                reason=None,
                client=None,
                now=now,
            )
    except IntegrityError:
        return None  # another worker (or an earlier pass) took this day
    assert person.email is not None  # selected for it
    return Digest(
        person_id=person.id,
        local_day=day,
        to=person.email,
        subject=f"Требует внимания на {day:%d.%m.%Y}: {len(items)}",
        body=digest_text(person.display_name, day, items),
    )


def digest_text(name: str, day: date, items: Sequence[AttentionItem]) -> str:
    """The e-mail's plain Russian text: one line per item, most urgent first."""
    lines = [f"{name}, здравствуйте.", ""]
    if not items:
        lines.append(f"На {day:%d.%m.%Y} ничего не требует вашего внимания.")
    else:
        lines.append(f"На {day:%d.%m.%Y} требует внимания ({len(items)}):")
        lines.append("")
        for item in items:
            family = f", {item.family_name}" if item.family_name else ""
            case = f"Дело {item.case_ref}{family}: " if item.case_ref else f"Без дела{family}: "
            lines.append(f"• {case}{item.text}")
    lines += ["", "Подробнее — на странице «Требует внимания» узла обмена данными."]
    return "\n".join(lines) + "\n"
