"""The gateway's durable spool: every signed message its partner system handed over, until the
hub has taken or refused it, and what the gateway delivered from the hub into the system.

One SQLite file in WAL mode with ``synchronous=FULL``: ``put`` returns only once the message
is committed, so the native caller is answered after nothing can lose it any more. Each
message keeps the MessageId it got when it was spooled, so a resend after a crash or an
outage is the same message to the hub (``replay.duplicate``, counted as taken). A spool that
cannot be written (disk full, read-only) raises ``SpoolUnavailable``: the gateway then refuses
new input instead of accepting what it could lose.

States of an outgoing message: ``waiting`` (to be sent, with its next attempt's time),
``sent`` (the hub took it: its hub id and recipients, or a duplicate) and ``refused`` (the
hub's code and detail; never sent again).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

__all__ = [
    "IncomingState",
    "OutgoingState",
    "Spool",
    "SpoolEntry",
    "SpoolStatus",
    "SpoolUnavailable",
]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outgoing (
    gateway_id INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT NOT NULL UNIQUE,
    message_type TEXT NOT NULL,
    signed BLOB NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    next_attempt_at REAL NOT NULL,
    hub_id INTEGER,
    recipients TEXT NOT NULL DEFAULT '[]',
    code TEXT,
    detail TEXT,
    duplicate INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS outgoing_waiting ON outgoing (state, gateway_id);
-- An outgoing message as ``SpoolEntry`` reads it (the columns in its field order).
CREATE VIEW IF NOT EXISTS entries AS SELECT gateway_id, message_id, message_type, signed, state,
    attempts, created_at, hub_id, recipients, code, detail, duplicate, next_attempt_at
    FROM outgoing;
CREATE TABLE IF NOT EXISTS incoming (
    delivery_id INTEGER PRIMARY KEY,
    message_id TEXT NOT NULL,
    message_type TEXT NOT NULL,
    state TEXT NOT NULL,
    detail TEXT,
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS last_error (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    error TEXT NOT NULL,
    at REAL NOT NULL
);
"""


class OutgoingState(StrEnum):
    """Where a message from the partner system stands."""

    WAITING = "waiting"
    SENT = "sent"
    REFUSED = "refused"


class IncomingState(StrEnum):
    """What became of a message from the hub (acked in every state but ``offered``)."""

    #: Listed to a system that pulls from the gateway, not yet acknowledged by it.
    OFFERED = "offered"
    DELIVERED = "delivered"
    #: The partner system refused it for good, or the hub's signature did not verify.
    REJECTED = "rejected"


class SpoolUnavailable(Exception):
    """The spool cannot be written (disk full, read-only, I/O error): refuse new input."""


@dataclass(frozen=True)
class SpoolEntry:
    """One outgoing message as the spool holds it."""

    gateway_id: int
    message_id: str
    message_type: str
    signed: bytes
    state: OutgoingState
    attempts: int
    created_at: float
    hub_id: int | None
    recipients: tuple[str, ...]
    code: str | None
    detail: str | None
    duplicate: bool
    next_attempt_at: float


@dataclass(frozen=True)
class SpoolStatus:
    """What ``hub gateway status`` shows."""

    outgoing: dict[str, int]
    incoming: dict[str, int]
    oldest_waiting: SpoolEntry | None
    last_error: str | None
    last_error_at: float | None


class Spool:
    """The spool file; thread-safe (one connection, one writer at a time).

    Raises:
        SpoolUnavailable: the file cannot be opened or its tables created.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Autocommit mode: each statement, or each ``_transaction``, commits at once.
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            # FULL: a committed message survives a power cut as well as a kill -9.
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise SpoolUnavailable(f"spool {path} not usable: {exc}") from exc

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._db.close()

    def put(
        self, message_id: str, message_type: str, signed: bytes, *, now: float
    ) -> tuple[SpoolEntry, bool]:
        """Commit a new waiting message; ``(entry, True)``, or the one spooled before under
        the same MessageId and ``False`` (the partner system sent the same record again).

        Raises:
            SpoolUnavailable: the message could not be committed.
        """
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO outgoing (message_id, message_type, signed, state, created_at,"
                " next_attempt_at) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (message_id) DO NOTHING",
                (message_id, message_type, signed, OutgoingState.WAITING, now, now),
            )
            created = cursor.rowcount == 1
            row = db.execute("SELECT * FROM entries WHERE message_id = ?", (message_id,)).fetchone()
        return _entry(row), created

    def get(self, gateway_id: int) -> SpoolEntry:
        """The entry ``gateway_id``.

        Raises:
            KeyError: no such entry.
        """
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM entries WHERE gateway_id = ?", (gateway_id,)
            ).fetchone()
        if row is None:
            raise KeyError(gateway_id)
        return _entry(row)

    def waiting(self, *, limit: int) -> list[SpoolEntry]:
        """The oldest waiting messages, in the order they were spooled."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM entries WHERE state = ? ORDER BY gateway_id LIMIT ?",
                (OutgoingState.WAITING, limit),
            ).fetchall()
        return [_entry(row) for row in rows]

    def mark_sent(
        self, gateway_id: int, *, hub_id: int | None, recipients: tuple[str, ...], duplicate: bool
    ) -> None:
        """The hub has the message (``duplicate``: it had it from an earlier attempt)."""
        self._write(
            "UPDATE outgoing SET state = ?, attempts = attempts + 1, hub_id = ?, recipients = ?,"
            " duplicate = ?, code = NULL, detail = NULL WHERE gateway_id = ?",
            (OutgoingState.SENT, hub_id, json.dumps(recipients), int(duplicate), gateway_id),
        )

    def mark_refused(self, gateway_id: int, *, code: str, detail: str, now: float) -> None:
        """The hub refused the message for good with ``code``."""
        with self._transaction() as db:
            db.execute(
                "UPDATE outgoing SET state = ?, attempts = attempts + 1, code = ?, detail = ?"
                " WHERE gateway_id = ?",
                (OutgoingState.REFUSED, code, detail, gateway_id),
            )
            _set_last_error(db, f"{gateway_id}: {code}", now)

    def mark_retry(
        self, gateway_id: int, *, error: str, now: float, next_attempt_at: float
    ) -> None:
        """The hub could not be reached: try again at ``next_attempt_at``."""
        with self._transaction() as db:
            db.execute(
                "UPDATE outgoing SET attempts = attempts + 1, detail = ?, next_attempt_at = ?"
                " WHERE gateway_id = ?",
                (error, next_attempt_at, gateway_id),
            )
            _set_last_error(db, error, now)

    def record_incoming(
        self,
        delivery_id: int,
        message_id: str,
        message_type: str,
        state: IncomingState,
        detail: str | None,
        *,
        now: float,
    ) -> None:
        """What became of the hub's delivery ``delivery_id`` (before it is acked)."""
        self._write(
            "INSERT OR REPLACE INTO incoming (delivery_id, message_id, message_type, state,"
            " detail, at) VALUES (?, ?, ?, ?, ?, ?)",
            (delivery_id, message_id, message_type, state, detail, now),
        )

    def acknowledge_incoming(self, delivery_id: int, *, now: float) -> None:
        """The system that pulls took the offered delivery ``delivery_id``."""
        self._write(
            "UPDATE incoming SET state = ?, at = ? WHERE delivery_id = ?",
            (IncomingState.DELIVERED, now, delivery_id),
        )

    def note_error(self, error: str, *, now: float) -> None:
        """Remember ``error`` as the last one (the hub or the partner system unreachable)."""
        with self._transaction() as db:
            _set_last_error(db, error, now)

    def status(self) -> SpoolStatus:
        """Counts per state, the oldest waiting message and the last error."""
        with self._lock:
            outgoing = dict(
                self._db.execute("SELECT state, count(*) FROM outgoing GROUP BY state").fetchall()
            )
            incoming = dict(
                self._db.execute("SELECT state, count(*) FROM incoming GROUP BY state").fetchall()
            )
            oldest = self._db.execute(
                "SELECT * FROM entries WHERE state = ? ORDER BY gateway_id LIMIT 1",
                (OutgoingState.WAITING,),
            ).fetchone()
            last = self._db.execute("SELECT error, at FROM last_error").fetchone()
        return SpoolStatus(
            outgoing={state.value: int(outgoing.get(state.value, 0)) for state in OutgoingState},
            incoming={state.value: int(incoming.get(state.value, 0)) for state in IncomingState},
            oldest_waiting=None if oldest is None else _entry(oldest),
            last_error=None if last is None else str(last[0]),
            last_error_at=None if last is None else float(last[1]),
        )

    def _write(self, sql: str, parameters: tuple[object, ...]) -> None:
        with self._transaction() as db:
            db.execute(sql, parameters)

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                # A failed COMMIT (disk full) leaves the transaction open: end it.
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise SpoolUnavailable(f"spool {self.path} not writable: {exc}") from exc


def _set_last_error(db: sqlite3.Connection, error: str, now: float) -> None:
    db.execute("INSERT OR REPLACE INTO last_error (id, error, at) VALUES (1, ?, ?)", (error, now))


def _entry(row: tuple[object, ...]) -> SpoolEntry:
    (gateway_id, message_id, message_type, signed, state, attempts, created_at, hub_id,
     recipients, code, detail, duplicate, next_attempt_at) = row  # fmt: skip
    return SpoolEntry(
        gateway_id=int(str(gateway_id)),
        message_id=str(message_id),
        message_type=str(message_type),
        signed=bytes(signed),  # type: ignore[call-overload]
        state=OutgoingState(str(state)),
        attempts=int(str(attempts)),
        created_at=float(str(created_at)),
        hub_id=None if hub_id is None else int(str(hub_id)),
        recipients=tuple(json.loads(str(recipients))),
        code=None if code is None else str(code),
        detail=None if detail is None else str(detail),
        duplicate=bool(duplicate),
        next_attempt_at=float(str(next_attempt_at)),
    )
