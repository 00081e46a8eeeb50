"""The log's hash chain catches tampering, and dead letters can be listed and replayed."""

from pathlib import Path

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from hub.cli import app
from hub.ingest import Ingestor, verify_chain
from hub.store import (
    CaseReferral,
    DeliveryMode,
    DeliveryStatus,
    MessageLog,
    OutboxDelivery,
    PushOutcome,
    claim_push_batch,
    record_push_outcomes,
)
from tests.factories import Signers, make_envelope


@pytest.fixture
def logged(ingestor: Ingestor, signers: Signers) -> list[int]:
    """Three accepted referrals; their log ids."""
    return [
        ingestor.ingest(signers.sign(make_envelope(sender="police")), authenticated="police").hub_id
        for _ in range(3)
    ]


@pytest.fixture
def cli(data_dir: Path, database_url: str) -> CliRunner:
    return CliRunner(
        env={"HUB_DATA_DIR": str(data_dir), "DATABASE_URL": database_url, "COLUMNS": "200"}
    )


def test_an_untouched_log_verifies(
    logged: list[int], session_factory: sessionmaker[Session], cli: CliRunner
) -> None:
    with session_factory() as session:
        verdict = verify_chain(session)
    assert verdict.intact
    assert verdict.checked == 3
    result = cli.invoke(app, ["verify-log"])
    assert result.exit_code == 0
    assert "3 message(s)" in result.output


def test_an_altered_message_is_the_first_broken_link(
    logged: list[int], session_factory: sessionmaker[Session], cli: CliRunner
) -> None:
    with session_factory.begin() as session:
        raw = session.get_one(MessageLog, logged[1]).raw
        session.execute(
            update(MessageLog)
            .where(MessageLog.id == logged[1])
            .values(raw=raw.replace("Ключевская".encode(), "Садовая".encode()))
        )
    with session_factory() as session:
        verdict = verify_chain(session)
    assert (verdict.broken_at, verdict.checked) == (logged[1], 1)
    assert "altered" in (verdict.reason or "")
    result = cli.invoke(app, ["verify-log"])
    assert result.exit_code == 1
    assert f"broken at message {logged[1]}" in result.output


@pytest.mark.parametrize(("victim", "broken"), [(1, 2), (2, 1)], ids=["middle", "last"])
def test_a_removed_message_breaks_the_chain(
    logged: list[int], session_factory: sessionmaker[Session], victim: int, broken: int
) -> None:
    with session_factory.begin() as session:
        # A tamperer removes the row and everything that points at it.
        for table in (OutboxDelivery, CaseReferral):
            session.execute(delete(table).where(table.message_log_id == logged[victim]))
        session.execute(delete(MessageLog).where(MessageLog.id == logged[victim]))
    with session_factory() as session:
        verdict = verify_chain(session)
    # Removing the middle one breaks the next link; removing the last leaves the head dangling.
    assert verdict.broken_at == logged[broken]


def test_dead_letters_are_listed_and_replayed(
    logged: list[int], session_factory: sessionmaker[Session], cli: CliRunner
) -> None:
    # Given the oldest push row, refused by its partner as a worker records it
    with session_factory.begin() as session:
        row = session.scalars(
            select(OutboxDelivery)
            .where(OutboxDelivery.mode == DeliveryMode.PUSH)
            .order_by(OutboxDelivery.id)
        ).first()
        assert row is not None
        dead_id, now = row.id, row.created_at
        [claim] = claim_push_batch(
            session, row.recipient, urgent=row.priority == "urgent", now=now, lease_s=60, limit=1
        )
        assert claim.id == dead_id
        error = "PartnerRejected: partner refused: HTTP 400"
        record_push_outcomes(
            session, [PushOutcome(dead_id, claim.attempts, "rejected", now, now, error=error)]
        )

    listing = cli.invoke(app, ["dlq", "list"])
    replayed = cli.invoke(app, ["dlq", "replay", str(dead_id), "--reason", "partner fixed"])
    again = cli.invoke(app, ["dlq", "replay", str(dead_id), "--reason", "partner fixed"])
    unknown = cli.invoke(app, ["dlq", "replay", "999999", "--reason", "partner fixed"])

    assert listing.exit_code == 0
    assert "HTTP 400" in listing.output
    assert replayed.exit_code == 0
    with session_factory() as session:
        replayed_row = session.get_one(OutboxDelivery, dead_id)
        # Pending and due at once, so the sweeper's next pass wakes its lane.
        assert replayed_row.status is DeliveryStatus.PENDING
        assert replayed_row.next_attempt_at is not None
    assert again.exit_code == 1  # no longer dead: nothing changes
    assert "not dead" in again.output
    assert unknown.exit_code == 1
    assert "not found" in unknown.output
