"""Bulk replay on a real database: a dry run sends nothing, a stop leaves the rest dead.

Given dead deliveries, ``preview_replay`` (and ``hub dlq replay --dry-run``) lists them by
ids, recipient and type and changes nothing; a batch re-queues them chunk by chunk, each
committed, and once stopped (``stop_replay_batch``, ``hub dlq stop``) no later chunk runs.
"""

import getpass
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from hub.cli import app
from hub.errors import OperationRefused
from hub.operations import Actor
from hub.replays import (
    preview_replay,
    replay_next_chunk,
    run_replay_batch,
    start_replay_batch,
    stop_replay_batch,
)
from hub.store import AuditEntry, DeliveryStatus, ReplayBatch
from tests.integration.queues.queue_helpers import Clock, Outbox

OPERATOR = Actor(login="oper", role="operator")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def outbox(session_factory: sessionmaker[Session], clock: Clock) -> Outbox:
    factory = Outbox(session_factory, clock)
    factory.partner("social")
    factory.partner("kdn")
    return factory


def _statuses(outbox: Outbox, ids: list[int]) -> list[DeliveryStatus]:
    return [outbox.get(i).status for i in ids]


def _actions(session_factory: sessionmaker[Session]) -> list[str]:
    with session_factory() as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_a_dry_run_lists_ids_recipient_and_type_and_changes_nothing(
    session_factory: sessionmaker[Session], outbox: Outbox
) -> None:
    dead = outbox.deliveries(2, recipient="kdn", status=DeliveryStatus.DEAD)
    outbox.deliveries(1, recipient="social", status=DeliveryStatus.DEAD)

    with session_factory.begin() as session:
        listed = preview_replay(session, partner="kdn")

    assert [(c.delivery_id, c.recipient, c.message_type) for c in listed] == [
        (dead[0], "kdn", "FamilyReferral"),
        (dead[1], "kdn", "FamilyReferral"),
    ]
    assert all(c.hub_id > 0 for c in listed)
    assert _statuses(outbox, dead) == [DeliveryStatus.DEAD] * 2
    assert _actions(session_factory) == []


def test_a_stopped_batch_leaves_the_rows_after_its_last_chunk_dead(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    dead = outbox.deliveries(3, recipient="kdn", status=DeliveryStatus.DEAD)
    with session_factory.begin() as session:
        batch_id = start_replay_batch(
            session, actor=OPERATOR, reason="kdn is back", now=clock(), partner="kdn"
        ).id
    with session_factory.begin() as session:
        first = replay_next_chunk(session, batch_id, actor=OPERATOR, now=clock(), size=1)
    with session_factory.begin() as session:
        stop_replay_batch(session, batch_id, actor=OPERATOR, reason="storm", now=clock())

    # The runner's next chunk finds the batch stopped and re-queues nothing.
    after = run_replay_batch(session_factory, batch_id, actor=OPERATOR, clock=clock, size=1)

    assert (first.replayed, first.running, after) == ([dead[0]], True, [])
    assert _statuses(outbox, dead) == [
        DeliveryStatus.PENDING,
        DeliveryStatus.DEAD,
        DeliveryStatus.DEAD,
    ]
    with session_factory() as session:
        batch = session.get_one(ReplayBatch, batch_id)
        assert (batch.status, batch.replayed, batch.stopped_by) == ("stopped", 1, "oper")
    assert _actions(session_factory) == ["replay.start", "delivery.replay", "replay.stop"]
    with pytest.raises(OperationRefused) as again, session_factory.begin() as session:
        stop_replay_batch(session, batch_id, actor=OPERATOR, reason="again", now=clock())
    assert again.value.code == "ops.batch_finished"


def test_a_batch_runs_in_chunks_to_the_end_and_skips_rows_that_died_after_it_started(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    dead = outbox.deliveries(3, recipient="kdn", status=DeliveryStatus.DEAD)
    with session_factory.begin() as session:
        batch_id = start_replay_batch(session, actor=OPERATOR, reason="x", now=clock()).id
    later = outbox.deliveries(1, recipient="kdn", status=DeliveryStatus.DEAD)

    replayed = run_replay_batch(session_factory, batch_id, actor=OPERATOR, clock=clock, size=2)

    assert replayed == dead
    assert _statuses(outbox, later) == [DeliveryStatus.DEAD]
    with session_factory() as session:
        assert session.get_one(ReplayBatch, batch_id).status == "done"
    assert _actions(session_factory).count("delivery.replay") == 2


def test_stopping_an_unknown_batch_is_refused(
    session_factory: sessionmaker[Session], clock: Clock
) -> None:
    with pytest.raises(OperationRefused) as refused, session_factory.begin() as session:
        stop_replay_batch(session, 404, actor=OPERATOR, reason="x", now=clock())
    assert refused.value.code == "ops.unknown_batch"


@pytest.fixture
def cli(data_dir: Path, database_url: str) -> CliRunner:
    return CliRunner(
        env={"HUB_DATA_DIR": str(data_dir), "DATABASE_URL": database_url, "COLUMNS": "200"}
    )


def test_cli_dry_run_sends_nothing_and_stop_stops_a_running_batch(
    cli: CliRunner, session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    dead = outbox.deliveries(2, recipient="kdn", status=DeliveryStatus.DEAD)

    dry = cli.invoke(app, ["dlq", "replay", "--partner", "kdn", "--dry-run"])
    dry_ids = cli.invoke(app, ["dlq", "replay", str(dead[1]), "--dry-run"])

    assert dry.exit_code == 0, dry.output
    assert "2 deliver(y/ies) would be sent again; nothing sent" in dry.output
    assert all(str(i) in dry.output for i in dead)
    assert "1 deliver(y/ies) would be sent again" in dry_ids.output
    assert _statuses(outbox, dead) == [DeliveryStatus.DEAD] * 2
    assert _actions(session_factory) == []

    # A batch someone else started (a page, another shell), stopped from the CLI.
    with session_factory.begin() as session:
        batch_id = start_replay_batch(
            session, actor=OPERATOR, reason="x", now=clock(), partner="kdn"
        ).id
    stopped = cli.invoke(app, ["dlq", "stop", str(batch_id), "--reason", "storm"])
    listing = cli.invoke(app, ["dlq", "batches"])
    unknown = cli.invoke(app, ["dlq", "stop", "999", "--reason", "x"])

    assert stopped.exit_code == 0, stopped.output
    assert f"stopped by cli:{getpass.getuser()}" in listing.output
    assert (unknown.exit_code, "ops.unknown_batch" in unknown.output) == (1, True)
    assert run_replay_batch(session_factory, batch_id, actor=OPERATOR, clock=clock) == []
    assert _statuses(outbox, dead) == [DeliveryStatus.DEAD] * 2
