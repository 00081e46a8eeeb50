"""What an alert rule can watch: one evaluating function per kind, in ``KINDS``.

A kind is a function ``evaluate(source, now, params) -> findings`` registered with
``@kind(name, Params)``: ``Params`` (a pydantic model) checks the rule's parameters
when the rules file is loaded, and the findings map each subject the rule fires about
(a partner code, ``hub``, a certificate) to a short description in Russian. A subject
missing from a later evaluation's findings resolves its incident. Adding a kind is
adding one such function here.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from cryptography import x509
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from hub.config import Settings
from hub.store import (
    DeliveryMode,
    DeliveryStatus,
    OutboxDelivery,
    Partner,
    PartnerCertificate,
    PartnerCircuit,
    open_late_deliveries_by_recipient,
)
from signing import CRL_FILE, HUB_SYSTEM_CODE, DevPki

__all__ = ["KINDS", "AlertSource", "Findings", "Kind", "KindParams", "kind"]

#: Outbox states of a row still to be delivered.
_WAITING = (DeliveryStatus.PENDING, DeliveryStatus.IN_FLIGHT, DeliveryStatus.RETRYING)

#: Subject → what was found about it, in Russian (figures and codes, no personal data).
Findings = dict[str, str]


@dataclass(frozen=True)
class AlertSource:
    """What a kind may read: the database (the caller's transaction) and the settings."""

    session: Session
    settings: Settings


class KindParams(BaseModel):
    """The parameters of one kind; a misspelt one is refused with its line."""

    model_config = ConfigDict(extra="forbid", frozen=True)


_Params = TypeVar("_Params", bound=KindParams)
Evaluate = Callable[[AlertSource, datetime, Any], Findings]


@dataclass(frozen=True)
class Kind:
    """A registered kind: its parameters' model and its evaluating function."""

    name: str
    params: type[KindParams]
    evaluate: Evaluate


#: Kind name → kind; filled by ``@kind`` below.
KINDS: dict[str, Kind] = {}


def kind(
    name: str, params: type[_Params]
) -> Callable[
    [Callable[[AlertSource, datetime, _Params], Findings]],
    Callable[[AlertSource, datetime, _Params], Findings],
]:
    """Register the decorated function as kind ``name`` with parameters ``params``."""

    def register(
        evaluate: Callable[[AlertSource, datetime, _Params], Findings],
    ) -> Callable[[AlertSource, datetime, _Params], Findings]:
        KINDS[name] = Kind(name, params, evaluate)
        return evaluate

    return register


# --- deliveries ---------------------------------------------------------------------------


class FailureRateParams(KindParams):
    #: Deliveries created within this many minutes count.
    window_minutes: float = Field(gt=0)
    #: Failed tries over all tries at or above this fraction fire…
    threshold: float = Field(gt=0, le=1)
    #: …once at least this many tries failed.
    min_failures: int = Field(default=1, ge=1)


@kind("delivery_failure_rate", FailureRateParams)
def delivery_failure_rate(
    source: AlertSource, now: datetime, params: FailureRateParams
) -> Findings:
    """Partners whose delivery tries in the window failed too often.

    A try is a claim of an outbox row (a push attempt, or a pull offer); every try of
    a row but its last failed, and so did its last unless the row is delivered or
    still in flight (a pull offer not yet acknowledged and not yet expired).
    """
    tries = OutboxDelivery.attempts
    last_open = OutboxDelivery.status.in_([DeliveryStatus.DELIVERED, DeliveryStatus.IN_FLIGHT])
    failed = case((last_open, tries - 1), else_=tries)
    rows = source.session.execute(
        select(OutboxDelivery.recipient, func.sum(tries), func.sum(failed))
        .where(
            OutboxDelivery.created_at >= now - timedelta(minutes=params.window_minutes),
            OutboxDelivery.attempts > 0,
        )
        .group_by(OutboxDelivery.recipient)
    )
    findings: Findings = {}
    for partner, total, failures in rows:
        failures = max(int(failures or 0), 0)
        if failures >= params.min_failures and failures >= params.threshold * int(total):
            findings[partner] = (
                f"неудачных попыток доставки {failures} из {int(total)} "
                f"за {params.window_minutes:g} мин"
            )
    return findings


class MinRowsParams(KindParams):
    #: Rows of one partner at or above this many fire.
    min_rows: int = Field(default=1, ge=1)


def _at_least(counts: Iterable[tuple[str, int]], minimum: int, what: str) -> Findings:
    """The partners counting ``minimum`` rows or more, each described as ``what: N``."""
    return {partner: f"{what}: {count}" for partner, count in counts if count >= minimum}


@kind("deliveries_retrying", MinRowsParams)
def deliveries_retrying(source: AlertSource, now: datetime, params: MinRowsParams) -> Findings:
    """Partners with messages waiting after a failed try: a push attempt that failed, or a
    pull offer whose gateway did not acknowledge it in time. Resolves once they are
    delivered (or dead: ``dead_letters`` then watches them), however much else the
    partner took meanwhile — unlike a rate over a window, which busy hours dilute.
    """
    push_failed = (OutboxDelivery.mode == DeliveryMode.PUSH) & (
        (OutboxDelivery.status == DeliveryStatus.RETRYING)
        | ((OutboxDelivery.status == DeliveryStatus.PENDING) & (OutboxDelivery.attempts >= 1))
    )
    offer_expired = (OutboxDelivery.status == DeliveryStatus.IN_FLIGHT) & (
        OutboxDelivery.lease_until < now
    )
    pull_failed = (OutboxDelivery.mode == DeliveryMode.PULL) & (
        (OutboxDelivery.attempts >= 2) | offer_expired
    )
    rows = source.session.execute(
        select(OutboxDelivery.recipient, func.count())
        .where(
            OutboxDelivery.status.in_(_WAITING),
            push_failed | pull_failed,
        )
        .group_by(OutboxDelivery.recipient)
    )
    return _at_least(rows, params.min_rows, "ждут повторной доставки после ошибки")


class DeadLettersParams(KindParams):
    #: Dead letters of one partner at or above this many fire.
    min_count: int = Field(default=1, ge=1)


@kind("dead_letters", DeadLettersParams)
def dead_letters(source: AlertSource, now: datetime, params: DeadLettersParams) -> Findings:
    """Partners with dead letters waiting for an administrator (replay or cancel)."""
    rows = source.session.execute(
        select(OutboxDelivery.recipient, func.count())
        .where(OutboxDelivery.status == DeliveryStatus.DEAD)
        .group_by(OutboxDelivery.recipient)
    )
    return _at_least(rows, params.min_count, "недоставленных сообщений")


@kind("deliveries_late", MinRowsParams)
def deliveries_late(source: AlertSource, now: datetime, params: MinRowsParams) -> Findings:
    """Partners with messages past their time to deliver (``delivery_deadlines`` in the
    routing rules) and still not delivered: their senders have had a non-delivery notice.
    """
    late = open_late_deliveries_by_recipient(source.session)
    return _at_least(late.items(), params.min_rows, "не доставлено в срок")


class MinutesParams(KindParams):
    minutes: float = Field(ge=0)


@kind("partner_down", MinutesParams)
def partner_down(source: AlertSource, now: datetime, params: MinutesParams) -> Findings:
    """Partners whose circuit has been open (or probing) for at least ``minutes``."""
    rows = source.session.execute(
        select(PartnerCircuit.partner_code, PartnerCircuit.opened_at).where(
            PartnerCircuit.state != "closed",
            PartnerCircuit.opened_at <= now - timedelta(minutes=params.minutes),
        )
    )
    return {partner: f"недоступна с {opened_at:%d.%m.%Y %H:%M} UTC" for partner, opened_at in rows}


@kind("urgent_waiting", MinutesParams)
def urgent_waiting(source: AlertSource, now: datetime, params: MinutesParams) -> Findings:
    """Partners with an urgent message undelivered for at least ``minutes``."""
    rows = source.session.execute(
        select(OutboxDelivery.recipient, func.count(), func.min(OutboxDelivery.created_at))
        .where(
            OutboxDelivery.priority == "urgent",
            OutboxDelivery.status.in_(_WAITING),
            OutboxDelivery.created_at <= now - timedelta(minutes=params.minutes),
        )
        .group_by(OutboxDelivery.recipient)
    )
    return {
        partner: (
            f"срочных сообщений ждут доставки: {count}, старейшее с {oldest:%d.%m.%Y %H:%M} UTC"
        )
        for partner, count, oldest in rows
    }


# --- certificates and revocation ---------------------------------------------------------


class DaysParams(KindParams):
    days: float = Field(ge=0)


@kind("certificate_expiring", DaysParams)
def certificate_expiring(source: AlertSource, now: datetime, params: DaysParams) -> Findings:
    """The hub's certificate and partners' live certificates that expire within ``days``."""
    horizon = now + timedelta(days=params.days)
    findings: Findings = {}
    hub_cert = DevPki(source.settings.pki_dir).credentials(HUB_SYSTEM_CODE).cert_path
    hub_until = _not_after(hub_cert)
    if hub_until is not None and hub_until <= horizon:
        findings["certificate:hub"] = f"сертификат узла действует до {hub_until:%d.%m.%Y} UTC"
    rows = source.session.execute(
        select(Partner.code, PartnerCertificate.serial_hex, PartnerCertificate.not_after)
        .join(Partner, Partner.id == PartnerCertificate.partner_id)
        .where(
            PartnerCertificate.revoked_at.is_(None),
            PartnerCertificate.valid_until.is_(None) | (PartnerCertificate.valid_until > now),
            PartnerCertificate.not_after <= horizon,
        )
    )
    for partner, serial, not_after in rows:
        findings[f"certificate:{partner}:{serial}"] = (
            f"сертификат {partner} № {serial} действует до {not_after:%d.%m.%Y} UTC"
        )
    return findings


class CrlParams(KindParams):
    #: Hours past the CRL's nextUpdate tolerated before it counts as stale.
    grace_hours: float = Field(default=0, ge=0)


@kind("crl_stale", CrlParams)
def crl_stale(source: AlertSource, now: datetime, params: CrlParams) -> Findings:
    """The CA's revocation list, once its nextUpdate (plus the grace) has passed."""
    path = source.settings.pki_dir / CRL_FILE
    try:
        crl = x509.load_pem_x509_crl(path.read_bytes())
    except FileNotFoundError:
        return {}  # no PKI here: the hub refuses to start without one anyway
    next_update = crl.next_update_utc
    if next_update is None or next_update + timedelta(hours=params.grace_hours) > now:
        return {}
    return {"crl": f"список отзыва не обновлён: срок обновления {next_update:%d.%m.%Y %H:%M} UTC"}


def _not_after(path: Path) -> datetime | None:
    try:
        return x509.load_pem_x509_certificate(path.read_bytes()).not_valid_after_utc
    except FileNotFoundError:
        return None
