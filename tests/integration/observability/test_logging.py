"""JSON logs: each accepted, refused and delivered message leaves one line with its ids, no data."""

import io
import json
import logging
import sys
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapters.base import InMemoryTransport, PartnerUnavailable, Transport
from hub.errors import Rejection
from hub.ingest import Ingestor
from hub.observability.logging import JsonFormatter, TextFormatter, configure_logging
from hub.store import DeliveryMode, OutboxDelivery
from queues import deliver_once
from tests.factories import Signers, make_envelope

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


def test_delivery_attempts_log_outcome_attempt_and_duration(
    ingestor: Ingestor,
    signers: Signers,
    session_factory: sessionmaker[Session],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    receipt = ingestor.ingest(signers.sign(make_envelope()), authenticated=None)
    with session_factory() as session:
        delivery_id = session.scalars(
            select(OutboxDelivery.id).where(
                OutboxDelivery.message_log_id == receipt.hub_id,
                OutboxDelivery.mode == DeliveryMode.PUSH,
            )
        ).first()
    assert delivery_id is not None
    partner = InMemoryTransport()
    partner.fail_next(1, PartnerUnavailable("503 from partner"))

    def attempt(will_retry: bool) -> None:
        deliver_once(
            session_factory,
            delivery_id,
            transports=_OnePartner(partner),
            now=lambda: datetime.now(UTC),
            lease_s=30,
            will_retry=will_retry,
            max_backoff_ms=300_000,
        )

    with pytest.raises(PartnerUnavailable):
        attempt(True)
    attempt(True)

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

    with pytest.raises(PartnerUnavailable):
        deliver_once(
            session_factory,
            push[0].delivery_id,
            transports=_OnePartner(partner),
            now=lambda: datetime.now(UTC),
            lease_s=30,
            will_retry=False,
            max_backoff_ms=300_000,
        )

    [line] = _as_json(caplog, "queues.delivery")
    assert (line["level"], line["outcome"]) == ("warning", "dead")
    assert line["partner"] == push[0].recipient
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
