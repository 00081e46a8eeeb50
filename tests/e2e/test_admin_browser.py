"""An administrator finds a dead letter in a real browser and replays it: delivered exactly once.

Headless Debian Chromium (tests/browser.py) against the hub's real server, a real
dramatiq worker on a Redis of the test's own with short retries (``fast_settings``),
and a small real HTTP receiver standing in for the partner «social», which records
every MessageId it accepts. The receiver is down while the message is sent, so the delivery ends
dead; the administrator sees it on /admin, opens it, the receiver comes back, and
«Повторить» with a reason gets it delivered — once.
"""

import http.server
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select, update

from adapters.registry import ADAPTERS
from hub.cases.scope import Role
from hub.people import add_person
from hub.store import DeliveryStatus, OutboxDelivery, Partner
from queues import EmbeddedRedis, run_worker
from signing import DevPki
from tests.browser import (
    DESKTOP_WIDTH,
    PHONE_WIDTH,
    headless_chromium,
    log_in,
    overlapping_boxes,
    watch,
)
from tests.factories import Signers, make_envelope
from tests.integration.queues.http_partner import HTTP_ADAPTER
from tests.stack import RunningHub, fast_settings, running_hub
from tooling.rig import ReservedPort

PASSWORD = "пароль-администратора-2026"
#: Two polls of the dashboard's live refresh, and some slack, in milliseconds.
LIVE_REFRESH_TIMEOUT_MS = 15_000
#: How long the worker may take to give up on, or to deliver, a message, in seconds.
DELIVERY_DEADLINE_S = 30.0
PARTNER = "social"

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


class Receiver:
    """A partner's HTTP endpoint on a fixed loopback port that can be stopped and started
    again; ``received`` keeps every MessageId it answered 200 to, across restarts.

    The port is held from the start (``tooling.rig.ports``), so it stays the partner's
    while the server is down: connections are refused then, never answered by another.
    """

    def __init__(self) -> None:
        self._port = ReservedPort()
        self.port = self._port.port
        self.received: list[str] = []
        self._lock = threading.Lock()
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/messages"

    def start(self) -> None:
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                with receiver._lock:
                    receiver.received.append(self.headers["X-Message-Id"])
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: the test asserts on ``received``."""

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="receiver")
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = self._thread = None

    def release(self) -> None:
        """Stop, and give the port back."""
        self.stop()
        self._port.release()

    def count(self, message_id: str) -> int:
        with self._lock:
            return self.received.count(message_id)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    partner = Receiver()
    yield partner
    partner.release()


@pytest.fixture
def own_redis(data_dir: Path) -> Iterator[str]:
    """A Redis server of this test's own: other test runs flush the shared test Redis."""
    with EmbeddedRedis(data_dir) as server:
        yield server.url


@pytest.fixture
def hub(
    data_dir: Path,
    database_url: str,
    own_redis: str,
    pki: DevPki,
    receiver: Receiver,
) -> Iterator[RunningHub]:
    """The hub's server and a worker that delivers to «social» at the receiver's address."""
    # One retry: the delivery is dead within a second, long before the circuit breaker
    # would open and park the row.
    settings = fast_settings(data_dir, database_url, own_redis).model_copy(
        update={"delivery_max_retries": 1, "circuit_failure_threshold": 50}
    )
    with running_hub(settings, pki, worker=False, simulators=False) as running:
        now = datetime.now(UTC)
        with running.runtime.session_factory.begin() as session:
            session.execute(
                update(Partner)
                .where(Partner.code == PARTNER)
                .values(adapter=HTTP_ADAPTER.code, endpoint=receiver.url)
            )
            add_person(
                session,
                login="admin",
                display_name="Администратор Узла",
                role=Role.ADMINISTRATOR,
                region=None,
                agency=None,
                password=PASSWORD,
                now=now,
            )
        stop = threading.Event()
        worker = threading.Thread(
            target=run_worker,
            args=(
                settings,
                running.runtime.session_factory,
                {**ADAPTERS, "http-test": HTTP_ADAPTER},
            ),
            kwargs={"stop": stop},
            daemon=True,
        )
        worker.start()
        try:
            yield running
        finally:
            stop.set()
            worker.join(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with headless_chromium() as browser:
        yield browser


def _wait_until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DELIVERY_DEADLINE_S
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {DELIVERY_DEADLINE_S} s: {what}")
        time.sleep(0.1)


def _status(hub: RunningHub, delivery_id: int) -> DeliveryStatus:
    with hub.runtime.session_factory() as session:
        return session.get_one(OutboxDelivery, delivery_id).status


def _log_in(browser: Browser, hub: RunningHub) -> tuple[Page, list[str]]:
    return log_in(browser, hub.url, "admin", PASSWORD, path="/admin")


def test_a_dead_letter_is_replayed_from_the_page_and_delivered_once(
    hub: RunningHub, receiver: Receiver, pki: DevPki, browser: Browser
) -> None:
    # Given the partner is down while a referral is sent to it: the delivery ends dead
    # (signed with the certificate onboarding registered, from this test's PKI)
    receipt = hub.runtime.ingestor.ingest(
        Signers(pki).sign(make_envelope(sender="police")), authenticated="police"
    )
    (delivery_id,) = (d.delivery_id for d in receipt.deliveries if d.recipient == PARTNER)
    _wait_until(lambda: _status(hub, delivery_id) is DeliveryStatus.DEAD, "delivery dead")
    assert receiver.count(receipt.message_id) == 0

    # When the administrator logs in, sees the dead letter on /admin and opens it
    page, problems = _log_in(browser, hub)
    expect(page.get_by_role("heading", name="Администрирование узла")).to_be_visible()
    partner_row = page.locator(f"#partner-{PARTNER}")
    expect(partner_row.locator(f'[data-live="partners.{PARTNER}.dead"]')).to_have_text("1")
    partner_row.get_by_role("link", name="1").click()
    page.wait_for_url(f"{hub.url}/admin/messages?status=dead&partner={PARTNER}")
    page.get_by_role("link", name=str(receipt.hub_id), exact=True).click()
    page.wait_for_url(f"{hub.url}/admin/messages/{receipt.hub_id}")
    card = page.locator(f"#delivery-{delivery_id}")
    expect(card).to_contain_text("не доставлено")
    expect(page.locator("pre.xml")).to_contain_text("••• скрыто •••")
    expect(page.locator("pre.xml")).not_to_contain_text("Вершинина")

    # (the dashboard stays open beside it, refreshing itself)
    dashboard = watch(page.context.new_page(), problems)
    dashboard.goto(f"{hub.url}/admin")
    live_dead = dashboard.locator(f'[data-live="partners.{PARTNER}.dead"]')
    expect(live_dead).to_have_text("1")

    # And, the partner back up, replays it with a reason
    receiver.start()
    card.get_by_label("Причина").first.fill("партнёр восстановил приём")
    card.get_by_role("button", name="Повторить").click()
    expect(page.get_by_role("status")).to_contain_text("Поставлено на повторную отправку: 1")

    # Then the message is delivered, and the partner received it exactly once
    _wait_until(lambda: _status(hub, delivery_id) is DeliveryStatus.DELIVERED, "delivered")
    assert receiver.count(receipt.message_id) == 1
    # The open dashboard's numbers follow without a reload (admin.js polls every 5 s).
    expect(live_dead).to_have_text("0", timeout=LIVE_REFRESH_TIMEOUT_MS)
    expect(dashboard.locator('[data-live="deliveries.delivered"]')).not_to_have_text("0")
    # And no legend entry of the flow charts overlaps another or a chart, wide or narrow
    # (the referral went to several recipients: their chart has several entries)
    recipients = dashboard.locator("#h-flow ~ .chart-keys").last.locator(".chart-key")
    assert recipients.count() >= 2
    for width in (DESKTOP_WIDTH, PHONE_WIDTH):
        dashboard.set_viewport_size({"width": width, "height": 800})
        assert overlapping_boxes(dashboard.locator("svg.chart, .chart-key")) == [], width
    page.reload()
    expect(card).to_contain_text("доставлено")
    expect(card.get_by_role("button", name="Повторить")).to_have_count(0)
    assert problems == []
    page.context.close()
    with hub.runtime.session_factory() as session:
        row = session.get_one(OutboxDelivery, delivery_id)
        assert row.status is DeliveryStatus.DELIVERED
        assert session.scalar(select(Partner.paused).where(Partner.code == PARTNER)) is False
