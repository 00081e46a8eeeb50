"""JSON logs: each accepted, refused and delivered message leaves one line with its ids, no data."""

import io
import json
import logging
import sys
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from adapters.base import InMemoryTransport, PartnerUnavailable, Transport
from hub.errors import Rejection
from hub.ingest import Ingestor, IngestReceipt
from hub.observability.logging import JsonFormatter, TextFormatter, configure_logging
from queues import BatchReport, RetryPolicy, deliver_batch, lane_for
from tests.factories import Signers, make_envelope
from tests.integration.queues.queue_helpers import Clock

#: Personal data in the FamilyReferral sample: never to be seen in a log line.
PERSONAL = ("Сорокина", "Анна", "Викторовна", "Вершинина")


def _as_json(caplog: pytest.LogCaptureFixture, logger: str) -> list[dict[str, object]]:
    """``logger``'s records from this test, formatted as the hub writes them, parsed back."""
    formatter = JsonFormatter()
    return [json.loads(formatter.format(r)) for r in caplog.records if r.name == logger]


def test_accepted_message_logs_its_message_id_and_case_ref(
    ingestor: Ingestor, signers: Signers, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    envelope = make_envelope(case_ref="KAM-2026-000042")
    raw = signers.sign(envelope)

    receipt = ingestor.ingest(raw, authenticated=None)

    [line] = _as_json(caplog, "hub.ingest.pipeline")
    assert line["level"] == "info"
    assert line["message_id"] == receipt.message_id
    assert line["case_ref"] == "KAM-2026-000042"
    assert line["hub_id"] == receipt.hub_id
    assert line["message_type"] == "FamilyReferral"
    assert line["recipients"] == [d.recipient for d in receipt.deliveries]
    assert str(line["ts"]).endswith("+00:00")
    # The context fields come first, in a fixed order, after the standard ones.
    assert list(line)[:6] == ["ts", "level", "logger", "message", "message_id", "case_ref"]
    assert not any(word in caplog.text for word in PERSONAL)


def test_rejected_message_logs_its_code_and_no_payload_text(
    ingestor: Ingestor, signers: Signers, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    # Given a signed referral whose payload was altered after signing
    raw = signers.sign(make_envelope(message_id="0b7f3b5e-1c1d-4c1e-9d55-1f0c7a1d2e3f"))
    tampered = raw.replace("Сорокина".encode(), "Соколова".encode())
    assert tampered != raw

    with pytest.raises(Rejection) as refused:
        ingestor.ingest(tampered, authenticated="social")

    [line] = _as_json(caplog, "hub.ingest.pipeline")
    assert line["code"] == refused.value.code
    assert str(line["code"]).startswith("signature.")
    assert line["message_id"] == "0b7f3b5e-1c1d-4c1e-9d55-1f0c7a1d2e3f"
    assert line["partner"] == "social"
    formatted = json.dumps(line, ensure_ascii=False)
    assert not any(word in formatted for word in (*PERSONAL, "Соколова"))
    assert refused.value.detail not in formatted


class _OnePartner:
    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def transport_for(self, recipient: str, endpoint: str | None) -> Transport:
        return self.transport

    def close(self) -> None:
        self.transport.close()


def _deliver_batch(
    session_factory: sessionmaker[Session],
    receipt: IngestReceipt,
    partner: Transport,
    *,
    now: Clock,
    max_attempts: int,
) -> BatchReport:
    """A worker's batch for the first push recipient of ``receipt`` (whose lane holds one row)."""
    push = next(d for d in receipt.deliveries if d.mode == "push")
    return deliver_batch(
        session_factory,
        push.recipient,
        lane_for(receipt.priority),
        transports=_OnePartner(partner),
        now=now,
        lease_s=30,
        batch_size=20,
        retry=RetryPolicy(max_attempts=max_attempts, min_backoff_ms=1000, max_backoff_ms=60_000),
    )


def test_delivery_attempts_log_outcome_attempt_and_duration(
    ingestor: Ingestor,
    signers: Signers,
    session_factory: sessionmaker[Session],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    receipt = ingestor.ingest(signers.sign(make_envelope()), authenticated=None)
    delivery_id = next(d.delivery_id for d in receipt.deliveries if d.mode == "push")
    partner = InMemoryTransport()
    partner.fail_next(1, PartnerUnavailable("503 from partner"))
    clock = Clock(datetime.now(UTC))

    # A batch whose call fails (the row is retried later), then one after its backoff
    first = _deliver_batch(session_factory, receipt, partner, now=clock, max_attempts=3)
    clock.advance(120)
    second = _deliver_batch(session_factory, receipt, partner, now=clock, max_attempts=3)

    assert (first.count("retry"), second.count("delivered")) == (1, 1)
    failed, delivered = _as_json(caplog, "queues.delivery")
    for line, outcome, number in ((failed, "retry", 1), (delivered, "delivered", 2)):
        assert line["outcome"] == outcome
        assert line["attempt"] == number
        assert line["delivery_id"] == delivery_id
        assert line["message_id"] == receipt.message_id
        assert isinstance(line["duration_ms"], float)
    assert failed["error"] == "PartnerUnavailable: 503 from partner"
    assert "error" not in delivered


def test_dead_letter_is_a_warning(
    ingestor: Ingestor,
    signers: Signers,
    session_factory: sessionmaker[Session],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    receipt = ingestor.ingest(signers.sign(make_envelope()), authenticated=None)
    push = [d for d in receipt.deliveries if d.mode == "push"]
    partner = InMemoryTransport()
    partner.fail_next(1)

    # Its one allowed attempt fails
    report = _deliver_batch(
        session_factory, receipt, partner, now=Clock(datetime.now(UTC)), max_attempts=1
    )

    assert report.count("dead") == 1
    [line] = _as_json(caplog, "queues.delivery")
    assert (line["level"], line["outcome"]) == ("warning", "dead")
    assert line["partner"] == push[0].recipient
    assert line["delivery_id"] == push[0].delivery_id
    assert "dead letter" in str(line["message"])


def test_configure_logging_writes_one_json_object_a_line_then_text() -> None:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    stream = io.StringIO()
    try:
        configure_logging("info", json=True, stream=stream)
        logging.getLogger("hub.test").info("hello %s", "there", extra={"delivery_id": 7})
        logging.getLogger("hub.test").debug("not at info")
        configure_logging("INFO", json=False, stream=stream)
        logging.getLogger("hub.test").info("plain", extra={"code": "auth.key_invalid"})
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    first, second = stream.getvalue().splitlines()
    assert json.loads(first) | {"ts": None} == {
        "ts": None,
        "level": "info",
        "logger": "hub.test",
        "message": "hello there",
        "delivery_id": 7,
    }
    assert second.endswith("INFO hub.test: plain code=auth.key_invalid")


def test_text_formatter_keeps_a_traceback_below_the_context() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    record.__dict__["message_id"] = "m-1"
    head, _, rest = TextFormatter().format(record).partition("\n")
    assert head.endswith("failed message_id=m-1")
    assert "ValueError: boom" in rest
