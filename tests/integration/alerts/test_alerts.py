"""Alerts: incidents from the rules, flood control, e-mail and webhook notices, retries.

A real SMTP server (aiosmtpd) and a real HTTP server on loopback ports the system picks
receive the notices; the rules read the real database, stamped by a hand-moved clock.
"""

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from hub.alerts import ALERTS_JOB, KINDS, AlertRule, AlertSource, check_alerts, load_alert_rules
from hub.alerts.kinds import DeadLettersParams, FailureRateParams
from hub.cli.app import app
from hub.config import Settings
from hub.routing import ConfigInvalid
from hub.store import (
    AlertIncident,
    AlertNotification,
    AlertState,
    DeliveryMode,
    DeliveryStatus,
    OutboxDelivery,
    Partner,
    PartnerCertificate,
    PartnerCircuit,
    alert_state_counts,
    claim_job,
    list_incidents,
)
from tests.integration.queues.queue_helpers import Clock, Outbox
from tests.smtp import Inbox

FAILURES = FailureRateParams(window_minutes=15, threshold=0.5, min_failures=2)
RULE = AlertRule("delivery_failures", "delivery_failure_rate", "Доставки не проходят", FAILURES)


@dataclass
class Webhook:
    """A local HTTP server that records each POSTed JSON body and answers ``statuses`` in turn
    (then 200)."""

    url: str
    statuses: list[int] = field(default_factory=list)
    received: list[dict[str, object]] = field(default_factory=list)


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            status = hook.statuses.pop(0) if hook.statuses else 200
            if status == 200:
                hook.received.append(json.loads(body))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep the test output clean

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    hook.url = f"http://127.0.0.1:{server.server_address[1]}/alerts"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield hook
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def _settings(data_dir: Path, database_url: str, *, smtp_port: int, webhook: str) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        smtp_from="hub@example.org",
        alert_email_to="duty@example.org, second@example.org",
        alert_webhook_url=webhook,
        alert_webhook_timeout_s=5,
    )


def test_a_hundred_failures_give_one_alert_and_one_resolved_notice(
    data_dir: Path,
    database_url: str,
    session_factory: sessionmaker[Session],
    outbox: Outbox,
    clock: Clock,
    inbox: Inbox,
    webhook: Webhook,
) -> None:
    settings = _settings(data_dir, database_url, smtp_port=inbox.port, webhook=webhook.url)

    # Given a partner failing a hundred times, the rules evaluated after each failure
    for _ in range(100):
        outbox.delivery(status=DeliveryStatus.RETRYING, attempts=1)
        check_alerts(settings, session_factory, [RULE], now=clock.advance(1))

    # Then one incident is open (from the second failure: min_failures=2), seen again 98
    # times, and one notice went out per channel
    with session_factory() as session:
        (incident,) = list_incidents(session, include_resolved=True, limit=10)
        assert (incident.rule, incident.subject) == ("delivery_failures", "social")
        assert incident.repeats == 98
        assert incident.resolved_at is None
        assert "100 из 100" in incident.detail
    assert len(inbox.messages) == 1
    assert inbox.messages[0]["To"] == "duty@example.org, second@example.org"
    assert [n["event"] for n in webhook.received] == ["opened"]

    # When the partner takes its messages again
    with session_factory.begin() as session:
        session.execute(update(OutboxDelivery).values(status=DeliveryStatus.DELIVERED))
    resolved = check_alerts(settings, session_factory, [RULE], now=clock.advance(1))
    again = check_alerts(settings, session_factory, [RULE], now=clock.advance(1))

    # Then the incident resolves with one more notice per channel, and nothing after
    assert resolved.resolved == [incident.id]
    assert (again.opened, again.resolved, again.sent) == ([], [], 0)
    assert len(inbox.messages) == 2
    assert [n["event"] for n in webhook.received] == ["opened", "resolved"]
    assert webhook.received[1]["repeats"] == 98
    with session_factory() as session:
        assert alert_state_counts(session) == {
            AlertState.OPEN: 0,
            AlertState.ACKNOWLEDGED: 0,
            AlertState.RESOLVED: 1,
        }


def test_a_notice_that_fails_is_sent_on_the_next_pass_and_only_once(
    data_dir: Path,
    database_url: str,
    session_factory: sessionmaker[Session],
    outbox: Outbox,
    clock: Clock,
    webhook: Webhook,
) -> None:
    # A closed port: the SMTP server is down for the whole test.
    settings = _settings(data_dir, database_url, smtp_port=1, webhook=webhook.url)
    rule = AlertRule("dead", "dead_letters", "Мёртвые письма", DeadLettersParams(min_count=1))
    outbox.delivery(status=DeliveryStatus.DEAD, attempts=9)
    webhook.statuses = [503]

    first = check_alerts(settings, session_factory, [rule], now=clock.advance(1))
    second = check_alerts(settings, session_factory, [rule], now=clock.advance(60))
    third = check_alerts(settings, session_factory, [rule], now=clock.advance(60))

    assert (len(first.opened), first.sent) == (1, 0)
    assert (second.opened, second.sent) == ([], 1)
    assert third.sent == 0
    assert [n["event"] for n in webhook.received] == ["opened"]
    with session_factory() as session:
        notices = {n.channel: n for n in session.query(AlertNotification)}
    assert notices["webhook"].sent_at is not None
    assert notices["webhook"].attempts == 2
    # E-mail stays unsent, with its error, for a later pass.
    assert (notices["email"].sent_at, notices["email"].attempts) == (None, 3)
    assert notices["email"].last_error is not None


def test_alerts_check_list_and_ack_on_the_command_line(
    data_dir: Path,
    database_url: str,
    session_factory: sessionmaker[Session],
    outbox: Outbox,
) -> None:
    # Given a dead letter, and the shipped rules evaluated by `hub alerts check`
    outbox.delivery(status=DeliveryStatus.DEAD, attempts=9)
    env = {"HUB_DATA_DIR": str(data_dir), "DATABASE_URL": database_url, "COLUMNS": "200"}
    runner = CliRunner()
    checked = runner.invoke(app, ["alerts", "check"], env=env)
    with session_factory() as session:
        (opened,) = [i.id for i in list_incidents(session, include_resolved=True, limit=10)]

    listed = runner.invoke(app, ["alerts", "list"], env=env)
    acked = runner.invoke(app, ["alerts", "ack", str(opened)], env=env)
    unknown = runner.invoke(app, ["alerts", "ack", "999999"], env=env)

    assert checked.exit_code == 0, checked.output
    assert "8 rules evaluated: 1 opened, 0 resolved" in checked.output
    assert listed.exit_code == 0, listed.output
    assert "dead_letters" in listed.output
    assert "social" in listed.output
    assert acked.exit_code == 0, acked.output
    assert unknown.exit_code == 1
    with session_factory() as session:
        incident = session.get_one(AlertIncident, opened)
        assert (incident.acked_by or "").startswith("cli:")
        assert alert_state_counts(session)[AlertState.ACKNOWLEDGED] == 1


def test_the_shipped_rules_load_and_a_wrong_one_names_its_line(tmp_path: Path) -> None:
    assert {rule.kind for rule in load_alert_rules(None)} == {
        "delivery_failure_rate",
        "deliveries_retrying",
        "dead_letters",
        "deliveries_late",
        "partner_down",
        "urgent_waiting",
        "certificate_expiring",
        "crl_stale",
    }
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "rules:\n"
        "  - name: down\n"
        "    kind: partner_down\n"
        "    title: Недоступна\n"
        "    params:\n"
        "      minuts: 5\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigInvalid) as wrong:
        load_alert_rules(rules)
    assert wrong.value.line == 6
    rules.write_text("rules:\n  - {name: x, kind: nosuch, title: Т}\n", encoding="utf-8")
    with pytest.raises(ConfigInvalid, match="unknown kind 'nosuch'"):
        load_alert_rules(rules)


def test_each_kind_finds_what_it_watches_and_only_past_its_threshold(
    settings: Settings, session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    # Given: an open circuit, an urgent message waiting, a partner certificate near its end
    # (and a revoked one), and the test's real PKI (hub certificate for a year, CRL 30 days)
    start = clock()
    outbox.delivery(priority="urgent", status=DeliveryStatus.PENDING)
    with session_factory.begin() as session:
        partner_id = session.scalars(select(Partner.id).where(Partner.code == "social")).one()
        session.add(
            PartnerCircuit(partner_code="social", state="open", opened_at=start, probe_at=start)
        )
        for serial, revoked in (("0a", None), ("0b", start)):
            session.add(
                PartnerCertificate(
                    partner_id=partner_id,
                    fingerprint_sha256=serial * 32,
                    serial_hex=serial,
                    not_after=start + timedelta(days=10),
                    created_at=start,
                    revoked_at=revoked,
                )
            )

    def found(kind: str, now: datetime, **params: float) -> set[str]:
        with session_factory() as session:
            source = AlertSource(session, settings)
            chosen = KINDS[kind]
            return set(chosen.evaluate(source, now, chosen.params.model_validate(params)))

    later = start + timedelta(minutes=16)
    assert found("deliveries_retrying", later) == set()  # pending, never tried
    retrying = outbox.delivery(status=DeliveryStatus.RETRYING, attempts=1)
    offered = outbox.delivery(
        mode=DeliveryMode.PULL, status=DeliveryStatus.IN_FLIGHT, attempts=1, lease_until=later
    )
    assert found("deliveries_retrying", later) == {"social"}
    assert found("deliveries_retrying", later, min_rows=2) == set()  # the offer is still leased
    assert found("deliveries_retrying", later + timedelta(seconds=1), min_rows=2) == {"social"}
    with session_factory.begin() as session:
        session.execute(
            update(OutboxDelivery)
            .where(OutboxDelivery.id.in_([retrying, offered]))
            .values(status=DeliveryStatus.DELIVERED)
        )
    assert found("deliveries_retrying", later) == set()
    assert found("deliveries_late", later) == set()  # delivered rows, never late
    late = outbox.delivery(status=DeliveryStatus.DEAD, late_at=start)
    assert found("deliveries_late", later) == {"social"}
    assert found("deliveries_late", later, min_rows=2) == set()
    with session_factory.begin() as session:
        session.execute(
            update(OutboxDelivery)
            .where(OutboxDelivery.id == late)
            .values(status=DeliveryStatus.CANCELLED)
        )
    assert found("deliveries_late", later) == set()  # given up by an operator: closed
    assert found("partner_down", later, minutes=15) == {"social"}
    assert found("partner_down", later, minutes=17) == set()
    assert found("urgent_waiting", later, minutes=15) == {"social"}
    assert found("urgent_waiting", later, minutes=17) == set()
    assert found("certificate_expiring", start, days=30) == {"certificate:social:0a"}
    assert found("certificate_expiring", start, days=5) == set()
    today = datetime.now(UTC)
    assert "certificate:hub" in found("certificate_expiring", today + timedelta(days=340), days=30)
    assert found("crl_stale", today) == set()
    assert found("crl_stale", today + timedelta(days=31)) == {"crl"}
    assert found("crl_stale", today + timedelta(days=31), grace_hours=48) == set()


def test_one_worker_has_the_alerts_turn_per_interval(
    session_factory: sessionmaker[Session], clock: Clock
) -> None:
    now = clock()
    turn = timedelta(seconds=54)

    def take(at: datetime) -> bool:
        with session_factory.begin() as session:
            return claim_job(session, ALERTS_JOB, now=at, until=at + turn)

    # The first worker takes the turn; a second one, a moment later, does not
    assert take(now)
    assert not take(now + timedelta(seconds=1))
    # Once the turn is over, the next pass (of either) takes it again
    assert take(now + turn)
    assert not take(now + turn)
