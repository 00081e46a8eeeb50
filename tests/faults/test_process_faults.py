"""Processes killed and services restarted under load, with 2 APIs and 2 workers sharing one
PostgreSQL and one Redis: nothing acknowledged is lost, nothing applied twice, no delivery
worked on by two workers at once. Each runs on RSA keys; those marked ``ON_GOST`` run again on
GOST (a rig whose every key is GOST R 34.10-2012 and whose hub accepts only that). The worker
killed mid-delivery waits out a lease (the rig's ``HUB_DELIVERY_LEASE_S``, seconds, not the
production minute), and ``hub chaos`` on GOST (test_chaos.py) kills workers too, so that one
and the checker's own test stay on RSA."""

import contextlib
import sqlite3
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, select

from hub.store import DeliveryStatus, MessageLog, OutboxDelivery
from schemas import parse_xml
from signing.gost import GOST_256
from signing.policy import RSA_SHA256
from signing.profile import signature_method_of
from tests.faults.loads import DEFAULT_MAX_RETRIES, assert_promises_kept, send_during
from tooling.chaos import check
from tooling.rig import Mode, Rig
from tooling.rig.postgres import PrivatePostgres

ON_GOST = pytest.mark.parametrize("fault_rig", ["rsa", "gost"], indirect=True)


def test_workers_killed_mid_delivery_lose_nothing(fault_rig: Rig) -> None:
    # Given partners that take a second to answer, so deliveries are in flight when…
    fault_rig.receiver.set_mode(Mode.SLOW, delay_s=1.0)

    def kill_the_workers() -> None:
        # …claims are held, more than one worker has threads…
        _wait_for_in_flight(fault_rig, more_than=fault_rig.options.worker_threads)
        # …every worker is killed with SIGKILL, then started again. Not one alone: a single
        # thread's batch may hold every row in flight, so one worker killed might have held
        # none (CI saw that once). One worker dying beside a live one is the chaos run's.
        for name in fault_rig.worker_names:
            fault_rig.kill(name)
        fault_rig.receiver.set_mode(Mode.OK)
        for name in fault_rig.worker_names:
            fault_rig.restart(name)

    results = send_during(fault_rig, 60, kill_the_workers)
    figures = check(fault_rig, results, max_retries=DEFAULT_MAX_RETRIES)

    # Then their claims were cut off mid-delivery, and every delivery still landed once.
    assert figures.interrupted_claims >= 1
    assert_promises_kept(figures, messages=60)


def _wait_for_in_flight(rig: Rig, *, more_than: int, deadline_s: float = 60.0) -> None:
    """Return once more than ``more_than`` deliveries are claimed and being attempted.

    Waiting on the database, not a fixed sleep: on a loaded machine the load may take
    longer to reach the workers.
    """
    give_up = time.monotonic() + deadline_s
    while time.monotonic() < give_up:
        with rig.session() as session:
            claimed = session.scalar(
                select(func.count())
                .select_from(OutboxDelivery)
                .where(OutboxDelivery.status == DeliveryStatus.IN_FLIGHT)
            )
        if claimed is not None and claimed > more_than:
            return
        time.sleep(0.05)
    raise AssertionError(f"never more than {more_than} deliveries in flight")


@ON_GOST
def test_an_api_killed_mid_ingest_loses_nothing_it_acknowledged(fault_rig: Rig) -> None:
    def kill_an_api() -> None:
        time.sleep(1.0)
        fault_rig.kill("api-0")
        time.sleep(0.5)
        fault_rig.restart("api-0")

    results = send_during(fault_rig, 80, kill_an_api)
    figures = check(fault_rig, results, max_retries=DEFAULT_MAX_RETRIES)

    # Sends cut off by the kill were resent with the same bytes, and taken once.
    assert any(r.tries > 1 for r in results)
    assert_promises_kept(figures, messages=80)


@ON_GOST
def test_redis_restarted_and_flushed_under_load_loses_nothing(fault_rig: Rig) -> None:
    def restart_then_flush() -> None:
        time.sleep(1.0)
        fault_rig.kill("redis")
        time.sleep(1.0)
        fault_rig.restart("redis")
        time.sleep(1.0)
        client = redis.Redis.from_url(fault_rig.broker_url)
        try:
            client.flushall()
        finally:
            client.close()

    results = send_during(fault_rig, 80, restart_then_flush)
    figures = check(fault_rig, results, max_retries=DEFAULT_MAX_RETRIES)

    assert_promises_kept(figures, messages=80)


@ON_GOST
def test_postgresql_stopped_and_crashed_under_load_loses_nothing(
    fault_rig: Rig, private_postgres: PrivatePostgres
) -> None:
    def stop_then_crash() -> None:
        time.sleep(1.0)
        private_postgres.stop("fast")
        time.sleep(1.5)
        private_postgres.start()
        time.sleep(1.0)
        private_postgres.stop("immediate")
        time.sleep(1.5)
        private_postgres.start()

    results = send_during(fault_rig, 80, stop_then_crash)
    figures = check(fault_rig, results, max_retries=DEFAULT_MAX_RETRIES)

    assert_promises_kept(figures, messages=80)


@ON_GOST
def test_the_messages_carry_the_signature_algorithm_of_the_rigs_crypto(fault_rig: Rig) -> None:
    # The faults above struck a hub signing and verifying with its PKI's algorithm:
    # the log holds the police's messages as received, signed with it.
    results = send_during(fault_rig, 10, lambda: None)
    accepted = {r.message_id for r in results if not r.bad}
    with fault_rig.session() as session:
        raws = session.scalars(
            select(MessageLog.raw).where(MessageLog.message_id.in_(accepted))
        ).all()
    expected = {"rsa": RSA_SHA256, "gost": GOST_256.signature_method}[fault_rig.options.crypto]
    assert len(raws) == len(accepted) == 9
    assert {signature_method_of(parse_xml(raw)) for raw in raws} == {expected}
    assert (
        fault_rig.hub_env()["HUB_SIGNATURE_PROVIDERS"]
        == {"rsa": "rsa", "gost": "gost256"}[fault_rig.options.crypto]
    )


def test_the_checker_counts_what_is_lost_extra_or_applied_twice(fault_rig: Rig) -> None:
    # Given a quiet run the checker passes…
    results = send_during(fault_rig, 10, lambda: None)
    assert_promises_kept(check(fault_rig, results, max_retries=DEFAULT_MAX_RETRIES), messages=10)
    accepted = next(r.message_id for r in results if not r.bad)

    # …when a partner forgets one effect, applies a message the hub never sent, and
    # receives one MessageId with another content,
    with _corrupted_receiver(fault_rig.receiver.db, accepted):
        figures = check(fault_rig, results, max_retries=DEFAULT_MAX_RETRIES)

    # Then each shows in its figure.
    assert (figures.lost, figures.extra, figures.duplicate_effects) == (1, 1, 1)
    assert figures.violations() == ["lost=1", "extra=1", "duplicate_effects=1"]


@contextlib.contextmanager
def _corrupted_receiver(db: Path, message_id: str) -> Iterator[None]:
    """The three faults above in the receiver's file, undone after (other tests share it)."""
    stranger = str(uuid.uuid4())
    with sqlite3.connect(db) as connection:
        (digest,) = connection.execute(
            "SELECT sha256 FROM effect WHERE recipient = 'social' AND message_id = ?",
            (message_id,),
        ).fetchone()
        connection.execute(
            "DELETE FROM effect WHERE recipient = 'social' AND message_id = ?", (message_id,)
        )
        connection.execute("INSERT INTO effect VALUES ('kdn', ?, 'x')", (stranger,))
        connection.execute(
            "INSERT INTO arrival (recipient, message_id, sha256, mode, applied)"
            " VALUES ('kdn', ?, 'other', 'ok', 0)",
            (message_id,),
        )
    try:
        yield
    finally:
        with sqlite3.connect(db) as connection:
            connection.execute("INSERT INTO effect VALUES ('social', ?, ?)", (message_id, digest))
            connection.execute("DELETE FROM effect WHERE message_id = ?", (stranger,))
            connection.execute("DELETE FROM arrival WHERE sha256 = 'other'")
