"""Administrators' operations on a real database: each audited, refusals change nothing.

Also the CLI commands over them (``hub partners pause|resume``, ``hub deliveries
cancel``, ``hub dlq replay|stop|batches``), run through typer's ``CliRunner``. A bulk
replay's dry run (``preview_replay``, ``--dry-run``) lists ids, recipient and type and
changes nothing; a batch re-queues chunk by chunk, each committed, and once stopped no
later chunk runs.
"""

import getpass
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from hub.cli import app
from hub.errors import OperationRefused
from hub.operations import (
    Actor,
    cancel_delivery,
    pause_partner,
    replay_dead_letters,
    resume_partner,
)
from hub.replays import (
    preview_replay,
    replay_next_chunk,
    run_replay_batch,
    start_replay_batch,
    stop_replay_batch,
)
from hub.store import (
    AuditEntry,
    DeliveryMode,
    DeliveryStatus,
    MessageLog,
    OutboxDelivery,
    Partner,
    ReplayBatch,
    claim_inbox,
    claim_push_batch,
)
from queues import PartnerTransports, RetryPolicy, deliver_batch, wake_stuck_lanes
from tests.integration.queues.http_partner import HTTP_ADAPTER, HttpPartner
from tests.integration.queues.queue_helpers import Clock, Outbox

ADMIN = Actor(login="admin", role="administrator")


@pytest.fixture
def outbox(session_factory: sessionmaker[Session], clock: Clock) -> Outbox:
    factory = Outbox(session_factory, clock)
    factory.partner("social")
    factory.partner("kdn")
    factory.partner("police", mode=DeliveryMode.PULL, endpoint=None)
    return factory


def _audit(session_factory: sessionmaker[Session]) -> list[tuple[str, str, str, str, str]]:
    with session_factory() as session:
        rows = session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars()
        return [(r.login, r.role, r.action, r.detail or "", r.reason or "") for r in rows]


def _partner(session_factory: sessionmaker[Session], code: str) -> Partner:
    with session_factory() as session:
        return session.execute(select(Partner).where(Partner.code == code)).scalar_one()


def _refusal(session_factory: sessionmaker[Session], operation: object) -> str:
    """Run ``operation(session)`` in a transaction that would commit; the refusal's code."""
    with pytest.raises(OperationRefused) as refused, session_factory.begin() as session:
        operation(session)  # type: ignore[operator]
    return refused.value.code


# --- pause and resume --------------------------------------------------------------------


def test_pause_and_resume_are_audited_with_actor_and_reason(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    with session_factory.begin() as session:
        pause_partner(session, "social", actor=ADMIN, reason="  planned outage  ", now=clock())
    paused = _partner(session_factory, "social")
    assert (paused.paused, paused.paused_reason) == (True, "planned outage")

    with session_factory.begin() as session:
        resume_partner(session, "social", actor=ADMIN, reason="back", now=clock())
    resumed = _partner(session_factory, "social")
    assert (resumed.paused, resumed.paused_reason) == (False, None)
    assert _audit(session_factory) == [
        ("admin", "administrator", "partner.pause", "partner=social", "planned outage"),
        ("admin", "administrator", "partner.resume", "partner=social", "back"),
    ]


def test_pause_and_resume_refusals_change_nothing(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    def pause(code: str, reason: str = "outage") -> object:
        return lambda s: pause_partner(s, code, actor=ADMIN, reason=reason, now=clock())

    def resume(code: str) -> object:
        return lambda s: resume_partner(s, code, actor=ADMIN, reason="back", now=clock())

    assert _refusal(session_factory, resume("social")) == "ops.not_paused"
    assert _refusal(session_factory, pause("nobody")) == "ops.unknown_partner"
    assert _refusal(session_factory, resume("nobody")) == "ops.unknown_partner"
    assert _refusal(session_factory, pause("social", reason=" \n")) == "ops.reason_required"
    assert _audit(session_factory) == []
    assert not _partner(session_factory, "social").paused

    with session_factory.begin() as session:
        pause_partner(session, "social", actor=ADMIN, reason="outage", now=clock())
    assert _refusal(session_factory, pause("social", reason="again")) == "ops.already_paused"
    assert _partner(session_factory, "social").paused_reason == "outage"
    assert len(_audit(session_factory)) == 1


def test_a_paused_pull_partner_is_offered_nothing_until_resumed(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    waiting = outbox.deliveries(2, recipient="police", mode=DeliveryMode.PULL)
    with session_factory.begin() as session:
        pause_partner(session, "police", actor=ADMIN, reason="migration", now=clock())

    with session_factory.begin() as session:
        assert claim_inbox(session, "police", now=clock(), visibility_s=60, limit=10) == []
    assert {outbox.get(i).attempts for i in waiting} == {0}

    with session_factory.begin() as session:
        resume_partner(session, "police", actor=ADMIN, reason="done", now=clock())
    with session_factory.begin() as session:
        rows = claim_inbox(session, "police", now=clock(), visibility_s=60, limit=10)
        assert [r.id for r in rows] == waiting


# --- cancel ------------------------------------------------------------------------------


def test_cancel_sets_the_reason_audits_and_the_row_is_never_claimed(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    delivery_id = outbox.delivery(status=DeliveryStatus.RETRYING)

    with session_factory.begin() as session:
        row = cancel_delivery(session, delivery_id, actor=ADMIN, reason="sent by fax", now=clock())
        assert row.status is DeliveryStatus.CANCELLED

    assert (outbox.get(delivery_id).status, outbox.get(delivery_id).cancel_reason) == (
        DeliveryStatus.CANCELLED,
        "sent by fax",
    )
    with session_factory.begin() as session:
        claimed = claim_push_batch(
            session, "social", urgent=False, now=clock(), lease_s=30, limit=10
        )
        assert claimed == []
    assert _audit(session_factory) == [
        ("admin", "administrator", "delivery.cancel", f"delivery={delivery_id}", "sent by fax")
    ]


def test_cancel_refusals_change_nothing(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    delivered = outbox.delivery(status=DeliveryStatus.DELIVERED)
    cancelled = outbox.delivery(status=DeliveryStatus.CANCELLED, cancel_reason="first")
    pending = outbox.delivery()

    def cancel(delivery_id: int, reason: str = "no longer needed") -> object:
        return lambda s: cancel_delivery(s, delivery_id, actor=ADMIN, reason=reason, now=clock())

    assert _refusal(session_factory, cancel(delivered)) == "ops.already_final"
    assert _refusal(session_factory, cancel(cancelled)) == "ops.already_final"
    assert _refusal(session_factory, cancel(999_999)) == "ops.unknown_delivery"
    assert _refusal(session_factory, cancel(pending, reason="")) == "ops.reason_required"
    assert [outbox.get(i).status for i in (delivered, cancelled, pending)] == [
        DeliveryStatus.DELIVERED,
        DeliveryStatus.CANCELLED,
        DeliveryStatus.PENDING,
    ]
    assert outbox.get(cancelled).cancel_reason == "first"
    assert _audit(session_factory) == []


# --- replay ------------------------------------------------------------------------------


def test_replay_by_ids_is_all_or_nothing(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    dead = outbox.deliveries(2, status=DeliveryStatus.DEAD, last_error="HTTP 400")
    pending = outbox.delivery()

    def replay(ids: list[int]) -> object:
        return lambda s: replay_dead_letters(s, actor=ADMIN, reason="fixed", now=clock(), ids=ids)

    assert _refusal(session_factory, replay([*dead, pending])) == "ops.not_dead"
    assert _refusal(session_factory, replay([*dead, 999_999])) == "ops.unknown_delivery"
    assert {outbox.get(i).status for i in dead} == {DeliveryStatus.DEAD}
    assert _audit(session_factory) == []

    with session_factory.begin() as session:
        replayed = replay_dead_letters(
            session, actor=ADMIN, reason="partner fixed", now=clock(), ids=[dead[1], dead[0]]
        )
    assert replayed == dead
    assert {outbox.get(i).status for i in dead} == {DeliveryStatus.PENDING}
    detail = "ids=" + ",".join(map(str, dead))
    assert _audit(session_factory) == [
        ("admin", "administrator", "delivery.replay", detail, "partner fixed")
    ]


def test_filtered_replay_replays_only_the_matching_dead_rows(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    # Given dead rows to two partners, of two types, old and new, and a live one
    old = outbox.delivery(status=DeliveryStatus.DEAD)
    since = clock.advance(3600)
    match = outbox.deliveries(2, status=DeliveryStatus.DEAD)
    other_partner = outbox.delivery(recipient="kdn", status=DeliveryStatus.DEAD)
    other_type = outbox.delivery(status=DeliveryStatus.DEAD)
    live = outbox.delivery(status=DeliveryStatus.RETRYING)
    with session_factory.begin() as session:
        message = session.get_one(OutboxDelivery, other_type).message
        message.message_type = "SurveyAct"

    # When social's dead referrals since then are replayed
    with session_factory.begin() as session:
        replayed = replay_dead_letters(
            session,
            actor=ADMIN,
            reason="outage over",
            now=clock(),
            partner="social",
            message_type="FamilyReferral",
            since=since,
        )

    # Then only those
    assert replayed == match
    statuses = {i: outbox.get(i).status for i in [old, *match, other_partner, other_type, live]}
    assert [i for i, s in statuses.items() if s is DeliveryStatus.PENDING] == match
    assert statuses[live] is DeliveryStatus.RETRYING
    [(_, _, action, detail, reason)] = _audit(session_factory)
    assert (action, reason) == ("delivery.replay", "outage over")
    assert detail.startswith(
        f"partner=social type=FamilyReferral since={since.isoformat()} count=2"
    )

    # And an unknown partner is refused
    refused = _refusal(
        session_factory,
        lambda s: replay_dead_letters(s, actor=ADMIN, reason="x", now=clock(), partner="nobody"),
    )
    assert refused == "ops.unknown_partner"


def test_replay_reason_is_required(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    dead = outbox.delivery(status=DeliveryStatus.DEAD)
    refused = _refusal(
        session_factory,
        lambda s: replay_dead_letters(s, actor=ADMIN, reason="", now=clock(), ids=[dead]),
    )
    assert refused == "ops.reason_required"
    assert outbox.get(dead).status is DeliveryStatus.DEAD


@pytest.fixture
def receiver() -> Iterator[HttpPartner]:
    with HttpPartner() as server:
        yield server


def test_a_replayed_row_is_delivered_once_even_if_replayed_twice(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock, receiver: HttpPartner
) -> None:
    # Given a dead row to a real HTTP receiver
    outbox.partner("web", adapter=HTTP_ADAPTER.code, endpoint=receiver.url)
    dead = outbox.delivery(recipient="web", status=DeliveryStatus.DEAD, attempts=3)
    transports = PartnerTransports(session_factory, {HTTP_ADAPTER.code: HTTP_ADAPTER}, timeout_s=5)

    def replay() -> list[int]:
        with session_factory.begin() as session:
            return replay_dead_letters(
                session, actor=ADMIN, reason="retry", now=clock(), ids=[dead]
            )

    def sweep() -> list[tuple[str, str]]:
        woken: list[tuple[str, str]] = []
        with session_factory() as session:
            wake_stuck_lanes(
                session,
                now=clock(),
                stuck_after_s=120,
                wake=lambda recipient, lane: woken.append((recipient, lane)),
            )
        return woken

    try:
        # When it is replayed, and replayed again before the worker got to it
        assert replay() == [dead]
        assert _refusal(session_factory, lambda _s: replay()) == "ops.not_dead"
        # Then the sweeper wakes its lane at once, and it is delivered once
        assert sweep() == [("web", "routine")]
        reports = [  # the sweeper's wake and the caller's, say
            deliver_batch(
                session_factory,
                "web",
                "routine",
                transports=transports,
                now=clock,
                lease_s=30,
                batch_size=20,
                retry=RetryPolicy(max_attempts=5, min_backoff_ms=1000, max_backoff_ms=300_000),
            )
            for _ in range(2)
        ]
        assert [(r.claimed, r.count("delivered")) for r in reports] == [(1, 1), (0, 0)]
        assert sweep() == []
        # And replaying a delivered row is refused
        assert _refusal(session_factory, lambda _s: replay()) == "ops.not_dead"
    finally:
        transports.close()

    with session_factory() as session:
        message_id = session.execute(
            select(MessageLog.message_id)
            .join(OutboxDelivery, OutboxDelivery.message_log_id == MessageLog.id)
            .where(OutboxDelivery.id == dead)
        ).scalar_one()
    assert receiver.received == [message_id]
    row = outbox.get(dead)
    assert (row.status, row.attempts) == (DeliveryStatus.DELIVERED, 4)
    assert [a for (_, _, a, _, _) in _audit(session_factory)] == ["delivery.replay"]


def test_ids_and_filters_together_are_a_programming_error(
    session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    with pytest.raises(ValueError, match="not both"), session_factory.begin() as session:
        replay_dead_letters(session, actor=ADMIN, reason="x", now=clock(), ids=[1], partner="kdn")


# --- the CLI -----------------------------------------------------------------------------


@pytest.fixture
def cli(data_dir: Path, database_url: str) -> CliRunner:
    return CliRunner(
        env={"HUB_DATA_DIR": str(data_dir), "DATABASE_URL": database_url, "COLUMNS": "200"}
    )


def test_cli_pause_resume_cancel_and_replay(
    cli: CliRunner, session_factory: sessionmaker[Session], outbox: Outbox, clock: Clock
) -> None:
    pending = outbox.delivery()
    dead = outbox.deliveries(2, recipient="kdn", status=DeliveryStatus.DEAD)
    cli_login = f"cli:{getpass.getuser()}"

    paused = cli.invoke(app, ["partners", "pause", "social", "--reason", "outage"])
    again = cli.invoke(app, ["partners", "pause", "social", "--reason", "outage"])
    listing = cli.invoke(app, ["partners", "list"])
    resumed = cli.invoke(app, ["partners", "resume", "social", "--reason", "fixed"])
    cancelled = cli.invoke(app, ["deliveries", "cancel", str(pending), "--reason", "by fax"])
    recancel = cli.invoke(app, ["deliveries", "cancel", str(pending), "--reason", "by fax"])
    no_reason = cli.invoke(app, ["deliveries", "cancel", str(pending)])
    replayed = cli.invoke(app, ["dlq", "replay", "--partner", "kdn", "--reason", "kdn is back"])
    both = cli.invoke(app, ["dlq", "replay", str(dead[0]), "--partner", "kdn", "--reason", "x"])
    neither = cli.invoke(app, ["dlq", "replay", "--reason", "x"])
    bad_since = cli.invoke(
        app, ["dlq", "replay", "--partner", "kdn", "--since", "May", "--reason", "x"]
    )

    assert paused.exit_code == 0, paused.output
    assert (again.exit_code, "ops.already_paused" in again.output) == (1, True)
    assert "outage" in listing.output
    assert resumed.exit_code == 0, resumed.output
    assert cancelled.exit_code == 0, cancelled.output
    assert (recancel.exit_code, "ops.already_final" in recancel.output) == (1, True)
    assert no_reason.exit_code == 2  # typer: the option is required
    assert replayed.exit_code == 0, replayed.output
    assert "2 deliver(y/ies) pending again" in replayed.output
    assert [both.exit_code, neither.exit_code, bad_since.exit_code] == [1, 1, 1]
    assert outbox.get(pending).status is DeliveryStatus.CANCELLED
    assert {outbox.get(i).status for i in dead} == {DeliveryStatus.PENDING}
    audit = _audit(session_factory)
    assert [(login, role, action) for login, role, action, _, _ in audit] == [
        (cli_login, "operator", "partner.pause"),
        (cli_login, "operator", "partner.resume"),
        (cli_login, "operator", "delivery.cancel"),
        (cli_login, "operator", "replay.start"),
        (cli_login, "operator", "delivery.replay"),
    ]
    assert [reason for *_, reason in audit] == [
        "outage",
        "fixed",
        "by fax",
        "kdn is back",
        "kdn is back",
    ]


def test_cli_replay_since_takes_an_iso_time(cli: CliRunner, outbox: Outbox, clock: Clock) -> None:
    old = outbox.delivery(status=DeliveryStatus.DEAD)
    since = clock.advance(60)
    new = outbox.delivery(status=DeliveryStatus.DEAD)
    naive = (since - timedelta(seconds=1)).replace(tzinfo=None).isoformat()

    result = cli.invoke(
        app, ["dlq", "replay", "--partner", "social", "--since", naive, "--reason", "x"]
    )

    assert result.exit_code == 0, result.output
    assert (outbox.get(old).status, outbox.get(new).status) == (
        DeliveryStatus.DEAD,
        DeliveryStatus.PENDING,
    )


# --- bulk replay: a dry run and a stop (hub.replays) --------------------------------------

OPERATOR = Actor(login="oper", role="operator")


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
