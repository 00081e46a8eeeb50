"""Group commit: the ingest transactions of requests that arrive together, committed as one.

Each accepted message is written in a transaction of its own, and its 202 goes only
after that commit. Under load most of a message's database cost is the transaction,
not the rows: beginning it, taking the chain head, committing (on PostgreSQL a WAL
flush). ``GroupCommit`` shares that cost among the requests waiting at the same time.

No thread of its own and no window to wait out: the first request to arrive while no
group is being written leads. It takes every request waiting (up to ``max_group``),
runs each one's work in a savepoint of one transaction, commits once, hands the
committed results on together (the group's broker sends go in one round trip), and wakes
them with their results; if more arrived meanwhile, the oldest of them leads the next group.
A request alone commits alone, as before; under load, the requests that arrive while a
group commits form the next one. One writer at a time per ``GroupCommit``, so the chain
links follow the order of the work within a group and the groups' commit order.

A failure of one request's work rolls back its savepoint only: the others in the group
commit. A failure of the transaction itself (the commit, the connection) fails every
request of the group, none of which has been answered yet, so nothing accepted is lost.
"""

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar, cast

from sqlalchemy.orm import Session, sessionmaker

__all__ = ["GroupCommit", "WriterStopped"]

R = TypeVar("R")

_log = logging.getLogger(__name__)


class WriterStopped(RuntimeError):
    """The group's writer stopped (an interrupt) before this request's work was written."""


@dataclass(eq=False)
class _Request(Generic[R]):
    """One request's work, and what became of it once its group was written."""

    work: Callable[[Session], R]
    #: Set when the group is written, or when this request is to lead the next group.
    wake: threading.Event = field(default_factory=threading.Event)
    written: bool = False
    #: Whether ``work`` returned (``result`` is then its value, None included).
    returned: bool = False
    result: R | None = None
    error: Exception | None = None

    def run(self, session: Session) -> None:
        self.result = self.work(session)
        self.returned = True

    def outcome(self) -> R:
        if self.error is not None:
            raise self.error
        if not self.returned:
            raise WriterStopped("the ingest group's writer stopped before this message was written")
        return cast(R, self.result)


class GroupCommit(Generic[R]):
    """Runs work submitted from many threads in shared transactions, one group at a time."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        max_group: int,
        before_commit: Callable[[Session], None] = lambda session: None,
        after_commit: Callable[[Sequence[R]], None] = lambda results: None,
    ) -> None:
        """Hooks the writer runs once per group:

        - ``before_commit(session)``, after the group's work, before its commit: what
          the group's requests share is written there (the chain head);
        - ``after_commit(results)``, with the results of the work that was committed, in
          order, before the requests are answered: the group's broker sends go there,
          together. It cannot undo the commit, so its failure is logged, not raised.
        """
        if max_group < 1:
            raise ValueError("max_group must be at least 1")
        self._sessions = sessions
        self._max_group = max_group
        self._before_commit = before_commit
        self._after_commit = after_commit
        self._lock = threading.Lock()
        self._waiting: list[_Request[R]] = []
        self._writing = False

    @property
    def waiting(self) -> int:
        """How many requests wait for a group; the next group takes up to ``max_group``."""
        with self._lock:
            return len(self._waiting)

    def run(self, work: Callable[[Session], R]) -> R:
        """``work(session)``'s result once the transaction it ran in has committed.

        ``work`` must not commit. It runs in a savepoint when others share its transaction.

        Raises:
          Exception: what ``work`` raised (only its own writes were rolled back), or
            what failed the whole group's transaction (nothing of the group is stored).
          WriterStopped: the writer was interrupted before the work ran.
        """
        request = _Request(work)
        with self._lock:
            self._waiting.append(request)
            lead = not self._writing
            self._writing = True
        if not lead:
            request.wake.wait()
        if not request.written:
            # Leading: no group was being written, or the last writer handed over to us.
            self._write_next_group()
        return request.outcome()

    def _write_next_group(self) -> None:
        with self._lock:
            group = self._waiting[: self._max_group]
            del self._waiting[: self._max_group]
        try:
            self._write(group)
        finally:
            with self._lock:
                successor = self._waiting[0] if self._waiting else None
                self._writing = successor is not None
            for request in group:
                request.written = True
                request.wake.set()
            if successor is not None:
                successor.wake.set()

    def _write(self, group: list[_Request[R]]) -> None:
        try:
            with self._sessions.begin() as session:
                if len(group) == 1:
                    # Alone: the transaction is the request's own, no savepoint needed.
                    group[0].run(session)
                else:
                    for request in group:
                        _run_in_savepoint(session, request)
                self._before_commit(session)
        except Exception as exc:
            for request in group:
                if request.error is None:
                    request.returned = False
                    request.error = exc
            return
        committed = [request.outcome() for request in group if request.error is None]
        try:
            self._after_commit(committed)
        except Exception:
            _log.exception("after committing %d ingest transaction(s)", len(committed))


def _run_in_savepoint(session: Session, request: _Request[R]) -> None:
    """Run one request's work so that its failure undoes its own writes only.

    ``session.info`` is part of the transaction's state (what the group's requests
    share, such as the chain's tip), so a failure restores it too. If rolling back the
    savepoint fails as well, that failure ends the whole group.
    """
    shared = dict(session.info)
    savepoint = session.begin_nested()
    try:
        request.run(session)
    except Exception as exc:
        request.error = exc
        savepoint.rollback()
        session.info.clear()
        session.info.update(shared)
    else:
        savepoint.commit()
