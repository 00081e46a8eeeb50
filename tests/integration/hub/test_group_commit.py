"""Group commit on real SQLite and PostgreSQL: requests that wait together commit together,
each one's failure undoes its own writes only, and a failed commit answers none of them.

Each test holds the first request (its work waits on an event) until the others are
queued, so the groups are known, not left to the scheduler.
"""

import itertools
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from hub.ingest.group import GroupCommit
from hub.store import Rejection as RejectionRow

#: How long a test waits for threads to queue before it fails, in seconds.
_PATIENCE_S = 30.0
#: Numbers the transactions: the first work in a session gives it the next one.
_TRANSACTIONS = itertools.count()


class Boom(Exception):
    """A request's own failure."""


def _write_row(tag: str) -> Callable[[Session], tuple[str, int]]:
    """Work that writes one row tagged ``tag``; returns the tag and its transaction's number."""

    def work(session: Session) -> tuple[str, int]:
        session.add(
            RejectionRow(
                received_at=datetime.now(UTC),
                code=tag,
                status=400,
                detail="",
                size_bytes=0,
                sha256="0" * 64,
            )
        )
        session.flush()
        number: int = session.info.setdefault("transaction", next(_TRANSACTIONS))
        return tag, number

    return work


def _stored_tags(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        return sorted(session.scalars(select(RejectionRow.code)))


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=8) as executor:
        yield executor


def _held_leader(
    commit: GroupCommit[tuple[str, int]], pool: ThreadPoolExecutor
) -> tuple[Future[tuple[str, int]], threading.Event]:
    """A first request whose work waits for the returned event: it leads, holding the writer."""
    started, release = threading.Event(), threading.Event()

    def leader(session: Session) -> tuple[str, int]:
        started.set()
        assert release.wait(_PATIENCE_S)
        return _write_row("leader")(session)

    future = pool.submit(commit.run, leader)
    assert started.wait(_PATIENCE_S)
    return future, release


def _queue(
    commit: GroupCommit[tuple[str, int]],
    pool: ThreadPoolExecutor,
    works: list[Callable[[Session], tuple[str, int]]],
) -> list[Future[tuple[str, int]]]:
    """Submit each work and wait until all of them wait for the writer."""
    futures = [pool.submit(commit.run, work) for work in works]
    deadline = time.monotonic() + _PATIENCE_S
    while commit.waiting < len(works):
        assert time.monotonic() < deadline
        assert not any(f.done() for f in futures)
        time.sleep(0.005)
    return futures


def test_requests_waiting_while_a_group_commits_form_the_next_group(
    session_factory: sessionmaker[Session], pool: ThreadPoolExecutor
) -> None:
    # Given a leader holding the writer and five requests queued behind it
    commit: GroupCommit[tuple[str, int]] = GroupCommit(session_factory, max_group=32)
    leader, release = _held_leader(commit, pool)
    followers = _queue(commit, pool, [_write_row(f"r{i}") for i in range(5)])

    # When the leader's group commits
    release.set()
    leader_result = leader.result(_PATIENCE_S)
    results = [future.result(_PATIENCE_S) for future in followers]

    # Then the five were written in one transaction of their own, after the leader's
    assert [tag for tag, _ in results] == [f"r{i}" for i in range(5)]
    assert len({session for _, session in results}) == 1
    assert leader_result[1] != results[0][1]
    assert _stored_tags(session_factory) == sorted(["leader", *(f"r{i}" for i in range(5))])
    assert commit.waiting == 0


def test_a_failing_request_rolls_back_its_own_writes_only(
    session_factory: sessionmaker[Session], pool: ThreadPoolExecutor
) -> None:
    # Given a group of three in which the middle one writes, then fails
    def writes_then_fails(session: Session) -> tuple[str, int]:
        _write_row("failed")(session)
        raise Boom("refused")

    commit: GroupCommit[tuple[str, int]] = GroupCommit(session_factory, max_group=32)
    leader, release = _held_leader(commit, pool)
    first, failing, last = _queue(
        commit, pool, [_write_row("first"), writes_then_fails, _write_row("last")]
    )

    # When the group is written
    release.set()
    leader.result(_PATIENCE_S)

    # Then the failing one gets its own error and the others their rows, in one transaction
    with pytest.raises(Boom, match="refused"):
        failing.result(_PATIENCE_S)
    assert first.result(_PATIENCE_S)[1] == last.result(_PATIENCE_S)[1]
    assert _stored_tags(session_factory) == ["first", "last", "leader"]


def test_a_failed_commit_fails_every_request_of_its_group_and_no_other(
    session_factory: sessionmaker[Session], pool: ThreadPoolExecutor
) -> None:
    # Given a group of three whose commit fails (a hook refuses the transaction in which
    # the poison ran)
    def refuse_poison(session: Session) -> None:
        if session.info.get("poisoned"):
            raise Boom("commit refused")

    def poison(session: Session) -> tuple[str, int]:
        session.info["poisoned"] = True
        return _write_row("poison")(session)

    event.listen(session_factory, "before_commit", refuse_poison)
    try:
        commit: GroupCommit[tuple[str, int]] = GroupCommit(session_factory, max_group=32)
        leader, release = _held_leader(commit, pool)
        group = _queue(commit, pool, [_write_row("a"), poison, _write_row("b")])

        # When the leader's group and then the group of three are written
        release.set()
        leader.result(_PATIENCE_S)

        # Then each of the three gets the commit's failure; the leader alone is stored
        for future in group:
            with pytest.raises(Boom, match="commit refused"):
                future.result(_PATIENCE_S)
        assert _stored_tags(session_factory) == ["leader"]

        # And the writer goes on with the next request
        assert commit.run(_write_row("after"))[0] == "after"
        assert _stored_tags(session_factory) == ["after", "leader"]
    finally:
        event.remove(session_factory, "before_commit", refuse_poison)


def test_more_requests_than_a_group_holds_are_written_in_turn_in_their_order(
    session_factory: sessionmaker[Session], pool: ThreadPoolExecutor
) -> None:
    # Given groups of at most two and five requests queued behind a held leader
    commit: GroupCommit[tuple[str, int]] = GroupCommit(session_factory, max_group=2)
    leader, release = _held_leader(commit, pool)
    followers = _queue(commit, pool, [_write_row(f"r{i}") for i in range(5)])

    # When they are written
    release.set()
    leader.result(_PATIENCE_S)
    transactions = [future.result(_PATIENCE_S)[1] for future in followers]

    # Then they went in three transactions of at most two, first come first written
    assert transactions[0] == transactions[1]
    assert transactions[2] == transactions[3]
    assert len({transactions[0], transactions[2], transactions[4]}) == 3
    with session_factory() as session:
        order = session.scalars(select(RejectionRow.code).order_by(RejectionRow.id)).all()
    assert order == ["leader", *(f"r{i}" for i in range(5))]


def test_a_request_alone_commits_alone_and_its_failure_is_its_own(
    session_factory: sessionmaker[Session],
) -> None:
    commit: GroupCommit[tuple[str, int]] = GroupCommit(session_factory, max_group=32)

    def fails(session: Session) -> tuple[str, int]:
        _write_row("failed")(session)
        raise Boom("alone")

    assert commit.run(_write_row("alone"))[0] == "alone"
    with pytest.raises(Boom, match="alone"):
        commit.run(fails)
    assert _stored_tags(session_factory) == ["alone"]
    assert commit.waiting == 0


def test_what_a_group_shares_is_written_once_with_only_its_successful_requests(
    session_factory: sessionmaker[Session], pool: ThreadPoolExecutor
) -> None:
    # Given work that leaves its tag in the transaction's info, as ingest leaves the chain tip
    def tagged(tag: str, *, fail: bool = False) -> Callable[[Session], tuple[str, int]]:
        def work(session: Session) -> tuple[str, int]:
            session.info["tags"] = (*session.info.get("tags", ()), tag)
            if fail:
                raise Boom(tag)
            return _write_row(tag)(session)

        return work

    seen: list[tuple[str, ...]] = []
    commit: GroupCommit[tuple[str, int]] = GroupCommit(
        session_factory,
        max_group=32,
        before_commit=lambda session: seen.append(session.info.get("tags", ())),
    )
    leader, release = _held_leader(commit, pool)
    group = _queue(commit, pool, [tagged("a"), tagged("b", fail=True), tagged("c")])

    # When the two groups are written
    release.set()
    leader.result(_PATIENCE_S)
    for future in group:
        future.exception(_PATIENCE_S)

    # Then the hook ran once per group, after its work, and saw none of the failed request's
    assert seen == [(), ("a", "c")]
    assert _stored_tags(session_factory) == ["a", "c", "leader"]


def test_the_committed_results_are_handed_on_once_a_group_before_any_answer(
    session_factory: sessionmaker[Session], pool: ThreadPoolExecutor
) -> None:
    # Given a hook that records each group's results and whether any request was answered
    handed: list[tuple[list[str], bool]] = []
    followers: list[Future[tuple[str, int]]] = []

    def hand_on(results: Sequence[tuple[str, int]]) -> None:
        handed.append(([tag for tag, _ in results], any(f.done() for f in followers)))

    def fails(session: Session) -> tuple[str, int]:
        raise Boom("refused")

    commit: GroupCommit[tuple[str, int]] = GroupCommit(
        session_factory, max_group=32, after_commit=hand_on
    )
    leader, release = _held_leader(commit, pool)
    followers += _queue(commit, pool, [_write_row("a"), fails, _write_row("b")])

    # When the two groups are written
    release.set()
    leader.result(_PATIENCE_S)
    for future in followers:
        future.exception(_PATIENCE_S)

    # Then each group's committed results were handed on together, in order, unanswered
    assert handed == [(["leader"], False), (["a", "b"], False)]


def test_a_failing_hand_on_is_logged_and_the_commit_stands(
    session_factory: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    def broker_down(results: Sequence[tuple[str, int]]) -> None:
        raise ConnectionError("broker down")

    commit: GroupCommit[tuple[str, int]] = GroupCommit(
        session_factory, max_group=32, after_commit=broker_down
    )

    assert commit.run(_write_row("kept"))[0] == "kept"
    assert _stored_tags(session_factory) == ["kept"]
    assert "after committing 1 ingest transaction(s)" in caplog.text


def test_a_group_of_none_is_refused() -> None:
    with pytest.raises(ValueError, match="max_group"):
        GroupCommit(sessionmaker(), max_group=0)
