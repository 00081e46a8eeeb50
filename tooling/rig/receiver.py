"""The recording partner: one real HTTP process that plays every push partner of the rig.

It speaks the partners' real protocols — the social centre's REST webhook
(``POST /social/hub/inbox``, de-duplicated by ``X-Hub-Message-Id``) and the
commission's SOAP service (``/kdn/soap``, its WSDL, de-duplicated by
``HubMessageId``) — and writes every arrival to a SQLite file before it answers: one
row per arrival (raw count, at-least-once shows here) and one row per applied
effect (the partner's de-duplication; a second arrival of a MessageId is answered
as a duplicate and applies nothing). The file outlives the process, so a crash
mode loses no record and a checker reads it from outside.

Fault modes, set at run time with ``POST /control/mode {"mode": …, "delay_s": …}``:

- ``ok``: record, apply, answer 200;
- ``fail``: record the arrival, apply nothing, answer 500;
- ``slow``: record, apply, then answer only after ``delay_s`` (set it past the hub's
  delivery timeout: the hub gives up and delivers again);
- ``crash``: record, apply, then end the process before answering (``os._exit``).

The mode lives in memory: a restarted receiver answers ``ok`` again.

Run: ``python -m tooling.rig.receiver --port 8200 --db var/receiver/arrivals.db``.
"""

import argparse
import asyncio
import hashlib
import os
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from lxml import etree
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

import schemas
from adapters.kdn.simulator import SIGNAL_NS, SOAP_ENV_NS

__all__ = ["ArrivalLog", "Mode", "Receiver", "create_app", "main"]

#: The partners the receiver plays: code → path of its endpoint (the hub's partner endpoint).
ENDPOINT_PATHS = {"social": "/social", "kdn": "/kdn/soap"}
_XML = "text/xml; charset=utf-8"
#: The exit status of a crash on purpose, to tell it from a real failure in the log.
CRASH_EXIT_STATUS = 17


class Mode(StrEnum):
    OK = "ok"
    FAIL = "fail"
    SLOW = "slow"
    CRASH = "crash"


class ArrivalLog:
    """The receiver's SQLite file: ``arrival`` (every call) and ``effect`` (applied once).

    Opened by the receiver to write and by the rig's checker to read; WAL lets the one
    read while the other writes.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            # A process crash (os._exit, kill -9) loses nothing in WAL with NORMAL.
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA busy_timeout=10000")
            self._db.executescript(
                """
                CREATE TABLE IF NOT EXISTS arrival (
                    id INTEGER PRIMARY KEY, recipient TEXT NOT NULL, message_id TEXT NOT NULL,
                    sha256 TEXT NOT NULL, mode TEXT NOT NULL, applied INTEGER NOT NULL);
                CREATE TABLE IF NOT EXISTS effect (
                    recipient TEXT NOT NULL, message_id TEXT NOT NULL, sha256 TEXT NOT NULL,
                    PRIMARY KEY (recipient, message_id));
                """
            )

    def record(self, recipient: str, message_id: str, content: bytes, *, mode: Mode) -> bool:
        """Write one arrival and, unless failing, apply it once; True if this one applied."""
        digest = hashlib.sha256(content).hexdigest()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                applied = mode is not Mode.FAIL and (
                    self._db.execute(
                        "INSERT OR IGNORE INTO effect VALUES (?, ?, ?)",
                        (recipient, message_id, digest),
                    ).rowcount
                    == 1
                )
                self._db.execute(
                    "INSERT INTO arrival (recipient, message_id, sha256, mode, applied)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (recipient, message_id, digest, mode.value, applied),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return applied

    def arrivals(self) -> dict[tuple[str, str], int]:
        """(recipient, message_id) → how many times it arrived (failed calls included)."""
        return {
            (recipient, message_id): count
            for recipient, message_id, count in self._query(
                "SELECT recipient, message_id, count(*) FROM arrival GROUP BY 1, 2"
            )
        }

    def met(self, mode: Mode, *, since_id: int) -> set[str]:
        """The recipients that had a call in ``mode`` after arrival ``since_id``."""
        return {
            recipient
            for (recipient,) in self._query(
                "SELECT DISTINCT recipient FROM arrival WHERE mode = ? AND id > ?",
                (mode.value, since_id),
            )
        }

    def last_id(self) -> int:
        """The id of the latest arrival; 0 before the first."""
        [(last,)] = self._query("SELECT coalesce(max(id), 0) FROM arrival")
        return int(last)

    def effects(self) -> set[tuple[str, str]]:
        """The (recipient, message_id) pairs the partners applied."""
        return {(r, m) for r, m in self._query("SELECT recipient, message_id FROM effect")}

    def conflicting(self) -> int:
        """Pairs that arrived with different contents: one MessageId meaning two things."""
        rows = self._query(
            "SELECT count(*) FROM (SELECT 1 FROM arrival GROUP BY recipient, message_id"
            " HAVING count(DISTINCT sha256) > 1)"
        )
        count: int = rows[0][0]
        return count

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _query(self, sql: str, parameters: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, parameters).fetchall()


@dataclass
class _Fault:
    mode: Mode = Mode.OK
    delay_s: float = 0.0


def create_app(log: ArrivalLog) -> Starlette:
    """The receiver's routes: the two partners' endpoints and the control endpoint."""
    fault = _Fault()

    async def arrive(recipient: str, message_id: str, content: bytes, answer: Response) -> Response:
        mode = fault.mode
        log.record(recipient, message_id, content, mode=mode)
        if mode is Mode.FAIL:
            return JSONResponse({"detail": "failing on purpose"}, 500)
        if mode is Mode.CRASH:
            os._exit(CRASH_EXIT_STATUS)
        if mode is Mode.SLOW:
            await asyncio.sleep(fault.delay_s)
        return answer

    async def social(request: Request) -> Response:
        message_id = request.headers.get("X-Hub-Message-Id")
        if not message_id or request.headers.get("Idempotency-Key") != message_id:
            return JSONResponse({"detail": "X-Hub-Message-Id = Idempotency-Key required"}, 400)
        answer = JSONResponse({"registration_number": f"С-{message_id[:8]}"})
        return await arrive("social", message_id, await request.body(), answer)

    async def kdn_describe(request: Request) -> Response:
        if "wsdl" in request.query_params:
            location = str(request.url.replace(query="")).encode()
            return Response(
                _kdn_resource("service.wsdl").replace(b"http://localhost/soap", location),
                media_type=_XML,
            )
        return Response(_kdn_resource("signal.xsd"), media_type=_XML)

    async def kdn_call(request: Request) -> Response:
        body = await request.body()
        try:
            record = schemas.parse_xml(body).find(f"{{{SOAP_ENV_NS}}}Body/*")
        except schemas.SchemaError:
            record = None
        message_id = None if record is None else record.findtext(f"{{{SIGNAL_NS}}}HubMessageId")
        if record is None or not message_id:
            return Response("expected a Signal or Document with HubMessageId", 400)
        ack = "SignalAck" if etree.QName(record).localname == "Signal" else "DocumentAck"
        return await arrive("kdn", message_id, body, _soap_ack(ack, message_id))

    async def set_mode(request: Request) -> Response:
        body = await request.json()
        fault.mode = Mode(body["mode"])
        fault.delay_s = float(body.get("delay_s", 0.0))
        return await get_mode(request)

    async def get_mode(_request: Request) -> Response:
        return JSONResponse({"mode": fault.mode.value, "delay_s": fault.delay_s})

    return Starlette(
        routes=[
            Route(ENDPOINT_PATHS["social"] + "/hub/inbox", social, methods=["POST"]),
            Route(ENDPOINT_PATHS["kdn"], kdn_describe, methods=["GET"]),
            Route(ENDPOINT_PATHS["kdn"], kdn_call, methods=["POST"]),
            Route("/control/mode", get_mode, methods=["GET"]),
            Route("/control/mode", set_mode, methods=["POST"]),
        ]
    )


def _kdn_resource(name: str) -> bytes:
    return resources.files("adapters.kdn").joinpath(name).read_bytes()


def _soap_ack(tag: str, message_id: str) -> Response:
    envelope = etree.Element(f"{{{SOAP_ENV_NS}}}Envelope", nsmap={"soap": SOAP_ENV_NS})
    body = etree.SubElement(envelope, f"{{{SOAP_ENV_NS}}}Body")
    ack = etree.SubElement(body, f"{{{SIGNAL_NS}}}{tag}", nsmap={"k": SIGNAL_NS})
    etree.SubElement(ack, f"{{{SIGNAL_NS}}}RegistrationNumber").text = f"КДН-{message_id[:8]}"
    # Every call of a MessageId gets the same number; the hub needs no more than that.
    etree.SubElement(ack, f"{{{SIGNAL_NS}}}Duplicate").text = "false"
    return Response(etree.tostring(envelope, xml_declaration=True, encoding="utf-8"), 200,
                    media_type=_XML)  # fmt: skip


class Receiver:
    """The rig's handle on the receiver process: its URL, its fault mode, its records."""

    def __init__(self, port: int, db: Path) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.db = db

    def endpoint(self, code: str) -> str:
        """The endpoint to register for partner ``code``."""
        return self.url + ENDPOINT_PATHS[code]

    def set_mode(self, mode: Mode | str, *, delay_s: float = 0.0) -> None:
        """Switch the fault mode of the running receiver."""
        answer = httpx.post(
            self.url + "/control/mode",
            json={"mode": Mode(mode).value, "delay_s": delay_s},
            timeout=5.0,
        )
        answer.raise_for_status()

    def log(self) -> ArrivalLog:
        """The arrival file, opened to read (close it when done)."""
        return ArrivalLog(self.db)

    def arrivals(self) -> dict[tuple[str, str], int]:
        """(recipient_code, message_id) → times received; read from the file, so it works
        while the receiver is down."""
        log = self.log()
        try:
            return log.arrivals()
        finally:
            log.close()


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of ``python -m tooling.rig.receiver``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db", type=Path, required=True)
    args = parser.parse_args(argv)
    uvicorn.run(create_app(ArrivalLog(args.db)), host="127.0.0.1", port=args.port,
                log_level="warning")  # fmt: skip


if __name__ == "__main__":
    main()
