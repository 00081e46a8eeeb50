"""Plumbing shared by the partner simulators: CLI options, persisted state, replies, servers.

Each ``adapters/<code>/simulator.py`` is a small real agency system: a Starlette app with its
own state in a JSON file under ``--state-dir`` (written atomically, so a kill -9 leaves the old
or the new state, never half of one), background loops, and replies that survive a restart
because they are queued in that same file before the inbound request is answered. A simulator
talks only to its agency's gateway (``hub gateway run``), in its own native format: it never
signs and holds no key; the gateway translates, signs and sends to the hub, and delivers the
hub's messages into the simulator natively. ``SimulatorServer`` runs an app under uvicorn in
a thread (tests, the demo); ``run_simulator`` is the body of each simulator's ``python -m``
entry point.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import logging
import os
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

import httpx
import uvicorn
from lxml import etree
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

import schemas

__all__ = [
    "BackgroundLoop",
    "GatewayAnswer",
    "GatewayClient",
    "GatewayUnreachable",
    "OutageSwitch",
    "ReplyOutbox",
    "SimulatorOptions",
    "SimulatorServer",
    "StateStore",
    "control_routes",
    "count_by_type",
    "json_answer",
    "state_answer",
    "parse_options",
    "run_simulator",
    "send_now",
    "serve",
    "webhook_route",
]

_log = logging.getLogger(__name__)
_T = TypeVar("_T")

#: JSON state as the simulators keep it: plain dicts and lists.
State = dict[str, Any]

#: How often the reply outbox retries pending replies, in seconds.
REPLY_INTERVAL_S = 0.3
#: How long ``SimulatorServer.start`` waits for the app to start, in seconds: generous,
#: since a loaded machine may take long to schedule the server's thread.
STARTUP_DEADLINE_S = 60.0


# Options and entry point


@dataclass(frozen=True)
class SimulatorOptions:
    """The command line every simulator shares (``gateway``: None for the school, which
    exchanges files through its folder)."""

    host: str
    port: int
    state_dir: Path
    gateway: str | None


def parse_options(
    argv: Sequence[str] | None, *, description: str, gateway: bool = True
) -> SimulatorOptions:
    """Parse ``--host --port --state-dir`` and, with ``gateway``, ``--gateway``; exits 2 on
    bad input."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--state-dir", type=Path, required=True)
    if gateway:
        parser.add_argument(
            "--gateway",
            required=True,
            help="the agency's gateway (hub gateway run), e.g. http://127.0.0.1:8201",
        )
    args = parser.parse_args(argv)
    return SimulatorOptions(
        host=args.host,
        port=args.port,
        state_dir=args.state_dir,
        gateway=args.gateway if gateway else None,
    )


def run_simulator(
    argv: Sequence[str] | None,
    *,
    description: str,
    create_app: Callable[[Path, GatewayClient], Starlette],
) -> None:
    """Parse the options, build the app on a client of the gateway and serve it until
    SIGINT/SIGTERM."""
    options = parse_options(argv, description=description)
    assert options.gateway is not None  # required by parse_options
    with GatewayClient(options.gateway) as gateway:
        serve(create_app(options.state_dir, gateway), options)


def serve(app: Starlette, options: SimulatorOptions) -> None:
    """Serve a simulator's app on ``options.host:options.port`` until SIGINT/SIGTERM."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    options.state_dir.mkdir(parents=True, exist_ok=True)
    uvicorn.run(app, host=options.host, port=options.port, log_level="warning")


# The gateway


class GatewayUnreachable(Exception):
    """The gateway did not answer (down, or the connection failed)."""


@dataclass(frozen=True)
class GatewayAnswer:
    """What the gateway made of one native call.

    ``taken``: the gateway has the message (sent to the hub, or queued there while the hub
    is down), ``message_id`` is its MessageId; ``refused``: the hub's ``code`` says why (the
    record does not translate, or the hub refused it); ``retry``: the gateway cannot keep it
    now, send it again later.
    """

    outcome: Literal["taken", "refused", "retry"]
    message_id: str | None = None
    code: str | None = None
    #: The native answer as JSON, for simulators that relay it (hub id, recipients …).
    body: Mapping[str, object] | None = None


#: Reads the gateway's native answer to a call.
AnswerReader = Callable[[httpx.Response], GatewayAnswer]


def json_answer(response: httpx.Response) -> GatewayAnswer:
    """The gateway's answer in the REST/JSON form (police, social, employment): 200 taken by
    the hub, 202 queued in the gateway, 422 refused with ``code``, anything else: retry."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    if response.status_code in (200, 202):
        return GatewayAnswer("taken", str(body.get("message_id")), body=body)
    if response.status_code == 422:
        return GatewayAnswer("refused", code=str(body.get("code")), body=body)
    return GatewayAnswer("retry", code=str(body.get("code", response.status_code)))


class GatewayClient:
    """The simulator's link to its agency's gateway: native HTTP calls on one connection pool."""

    def __init__(self, url: str, *, timeout_s: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(base_url=self.url, timeout=timeout_s)

    def request(
        self,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """One call to the gateway.

        Raises:
            GatewayUnreachable: no answer (connection refused, timed out).
        """
        try:
            return self._http.request(method, path, content=content, headers=headers, params=params)
        except httpx.TransportError as exc:
            raise GatewayUnreachable(f"{self.url}{path}: {type(exc).__name__}") from exc

    def close(self) -> None:
        """Release the connections."""
        self._http.close()

    def __enter__(self) -> GatewayClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


# State


class StateStore:
    """A JSON document on disk, changed only under a lock and replaced atomically."""

    def __init__(self, path: Path, initial: State) -> None:
        self._path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            self._state: State = json.loads(path.read_text(encoding="utf-8"))
        else:
            self._state = copy.deepcopy(initial)
            self._write()

    def read(self) -> State:
        """A snapshot of the state (a deep copy: callers may keep it)."""
        with self._lock:
            return copy.deepcopy(self._state)

    def update(self, change: Callable[[State], _T]) -> _T:
        """Apply ``change`` to the state and persist the result before returning it.

        ``change`` mutates the document in place; if it raises, nothing is written and the
        in-memory state is restored.
        """
        with self._lock:
            before = copy.deepcopy(self._state)
            try:
                result = change(self._state)
                self._write()
            except BaseException:
                self._state = before
                raise
            return result

    def _write(self) -> None:
        tmp = self._path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as file:
            json.dump(self._state, file, ensure_ascii=False, indent=1)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, self._path)


# Replies through the gateway


class ReplyOutbox:
    """Replies queued in the simulator's state and posted natively to its gateway until the
    gateway has them.

    ``add`` runs inside the same ``StateStore.update`` that registers the inbound message, so
    a reply is either queued with the registration or not at all. Each reply is known by its
    ``key``, sent as the ``Idempotency-Key`` (the gateway derives the MessageId from it, or
    from the record's own number), so a resend after a lost answer is the same message.
    """

    KEY = "outbox"

    def __init__(
        self, store: StateStore, gateway: GatewayClient, read: AnswerReader = json_answer
    ) -> None:
        self._store = store
        self._gateway = gateway
        self._read = read
        store.update(self._upgrade)
        # The background loop and a control command may flush at once: one at a time keeps
        # the order and sends each reply once.
        self._sending = threading.Lock()

    @classmethod
    def _upgrade(cls, state: State) -> None:
        """Replies queued before the simulators spoke to gateways hold signed-to-be canonical
        envelopes: keep them listed (by their MessageId), and give up the unsent ones, which
        no gateway can take."""
        for reply in state.get(cls.KEY, []):
            if "key" in reply:
                continue
            reply["key"] = reply["message_id"]
            reply.pop("envelope", None)
            if reply["status"] == "pending":
                reply.update(status="refused", error="canonical reply from before the gateway")

    @classmethod
    def add(
        cls,
        state: State,
        *,
        key: str,
        message_type: str,
        path: str,
        body: str,
        content_type: str = "application/json",
    ) -> None:
        """Queue a native call (``POST path`` with ``body``) in ``state``; call inside
        ``StateStore.update``."""
        state.setdefault(cls.KEY, []).append(
            {
                "key": key,
                "message_id": None,
                "message_type": message_type,
                "path": path,
                "body": body,
                "content_type": content_type,
                "status": "pending",
                "attempts": 0,
            }
        )

    @classmethod
    def add_record(
        cls,
        state: State,
        *,
        key: str,
        path: str,
        record: Mapping[str, object],
        translate: Callable[..., etree._Element],
        now: datetime,
    ) -> None:
        """Queue a native JSON ``record`` for ``POST path``, once it translates as the gateway
        will translate it (``translate``, the adapter's ``to_canonical``), which also names
        its message type.

        Raises:
            TranslationError: the record does not translate (nothing is queued).
        """
        envelope = translate(record, message_id=key, now=now)
        cls.add(
            state,
            key=key,
            message_type=schemas.read_header(envelope).message_type,
            path=path,
            body=json.dumps(record, ensure_ascii=False),
        )

    @classmethod
    def summary(cls, state: State) -> dict[str, list[dict[str, object]]]:
        """The replies by status (``sent``, ``pending``, ``refused``), for ``GET /state``."""
        summary: dict[str, list[dict[str, object]]] = {"sent": [], "pending": [], "refused": []}
        for reply in state.get(cls.KEY, []):
            summary[reply["status"]].append(
                {
                    "key": reply["key"],
                    "message_id": reply["message_id"],
                    "message_type": reply["message_type"],
                    "attempts": reply["attempts"],
                }
            )
        return summary

    @classmethod
    def find(cls, state: State, key: str) -> dict[str, Any] | None:
        """The queued reply with ``key`` (its ``status``, ``message_id``, ``error``)."""
        for reply in state.get(cls.KEY, []):
            if reply["key"] == key:
                return dict(reply)
        return None

    def send_pending(self) -> int:
        """Try every pending reply once, in order; return how many the gateway took."""
        with self._sending:
            return self._send_pending()

    def _send_pending(self) -> int:
        pending = [r for r in self._store.read().get(self.KEY, []) if r["status"] == "pending"]
        taken = 0
        for reply in pending:
            try:
                response = self._gateway.request(
                    "POST",
                    reply["path"],
                    content=reply["body"].encode("utf-8"),
                    headers={
                        "Content-Type": reply["content_type"],
                        "Idempotency-Key": reply["key"],
                    },
                )
            except GatewayUnreachable as exc:
                self._mark(reply["key"], GatewayAnswer("retry", code=str(exc)))
                # Order matters (a receipt before its status update): stop at the first miss.
                break
            answer = self._read(response)
            self._mark(reply["key"], answer)
            if answer.outcome == "retry":
                break
            if answer.outcome == "refused":
                _log.warning("gateway refused reply %s: %s", reply["key"], answer.code)
            else:
                taken += 1
        return taken

    def _mark(self, key: str, answer: GatewayAnswer) -> None:
        status = {"taken": "sent", "refused": "refused", "retry": "pending"}[answer.outcome]

        def change(state: State) -> None:
            for reply in state[self.KEY]:
                if reply["key"] == key:
                    reply["status"] = status
                    reply["attempts"] += 1
                    reply["error"] = None if status == "sent" else answer.code
                    reply["message_id"] = answer.message_id or reply["message_id"]

        self._store.update(change)


async def send_now(
    store: StateStore, outbox: ReplyOutbox, keys: Sequence[str]
) -> list[dict[str, object]]:
    """Flush ``outbox`` now (control commands) and say what became of the replies ``keys``.

    Each answer is ``{"key", "message_id", "message_type", "status", "error"}``: ``sent``
    (the gateway has it; ``message_id`` is its MessageId), ``pending`` (the gateway is
    unreachable; the background loop keeps trying) or ``refused`` (``error`` is the hub's
    problem code).
    """
    await run_in_threadpool(outbox.send_pending)
    state = store.read()
    answers: list[dict[str, object]] = []
    for key in keys:
        reply = ReplyOutbox.find(state, key) or {}
        answers.append(
            {
                "key": key,
                "message_id": reply.get("message_id"),
                "message_type": reply.get("message_type"),
                "status": reply.get("status"),
                "error": reply.get("error"),
            }
        )
    return answers


# Background work


class BackgroundLoop:
    """Calls ``step`` every ``interval_s`` seconds in a daemon thread until stopped.

    An exception in ``step`` is logged and the loop goes on: a simulator must survive a hub
    restart or a bad message.
    """

    def __init__(self, name: str, step: Callable[[], object], interval_s: float) -> None:
        self._step = step
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def stop(self) -> None:
        """Ask the loop to stop and wait for the running step to finish."""
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._step()
            except Exception:
                _log.exception("%s: step failed", self._thread.name)
            self._stop.wait(self._interval_s)


def lifespan_of(
    loops: Sequence[BackgroundLoop],
) -> Callable[[Starlette], contextlib.AbstractAsyncContextManager[None]]:
    """A Starlette lifespan that runs ``loops`` while the app serves."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        for loop in loops:
            loop.start()
        try:
            yield
        finally:
            for loop in loops:
                loop.stop()

    return lifespan


# Fault injection and state inspection


class OutageSwitch:
    """Makes inbound deliveries fail with a chosen HTTP status (demo, tests): the next N, and
    any more that come within a set time of the first failure (an outage that lasts)."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._failures = 0
        self._status = 503
        self._lasting_s = 0.0
        self._down_until: float | None = None

    def arm(self, failures: int, status: int, *, lasting_s: float = 0.0) -> None:
        """Fail the next ``failures`` deliveries with ``status``, and every delivery until
        ``lasting_s`` seconds after the first of them."""
        with self._lock:
            self._failures = failures
            self._status = status
            self._lasting_s = lasting_s
            self._down_until = None

    def take(self) -> int | None:
        """The status to fail this delivery with, or ``None`` to serve it."""
        with self._lock:
            now = self._clock()
            if self._failures > 0:
                self._failures -= 1
                if self._down_until is None:
                    self._down_until = now + self._lasting_s
                return self._status
            if self._down_until is not None and now < self._down_until:
                return self._status
            return None


def state_answer(
    state: State,
    received: list[dict[str, object]],
    *,
    registers: dict[str, object],
    counts: dict[str, int],
) -> dict[str, object]:
    """The ``GET /state`` answer of a simulator that replies through a ``ReplyOutbox``.

    What it received, its own registers (cases, actions…), its replies by status, and
    counts of each: received by type, the simulator's own, sent by type, pending.
    """
    replies = ReplyOutbox.summary(state)
    return {
        "received": received,
        **registers,
        **replies,
        "counts": {
            "received": count_by_type(received),
            **counts,
            "sent": count_by_type(replies["sent"]),
            "pending": len(replies["pending"]),
        },
    }


def count_by_type(items: Sequence[dict[str, object]]) -> dict[str, int]:
    """How many of ``items`` there are per ``message_type``, for ``GET /state``."""
    counts: dict[str, int] = {}
    for item in items:
        key = str(item["message_type"])
        counts[key] = counts.get(key, 0) + 1
    return counts


def webhook_route(
    path: str,
    outage: OutageSwitch,
    receive: Callable[[str, str | None, dict[str, Any]], dict[str, object]],
    *,
    kind_key: str,
) -> Route:
    """``POST path``: a partner system's webhook for the hub's native JSON records.

    Answers the armed outage status (with Retry-After) first; 400 unless the body is a JSON
    object with ``kind_key`` and the request has ``X-Hub-Message-Id``. Otherwise it calls
    ``receive(message_id, delivery_id, record)`` (which must be idempotent by MessageId)
    and answers its result as JSON with 200.
    """

    async def webhook(request: Request) -> Response:
        failure = outage.take()
        if failure is not None:
            return JSONResponse({"detail": "outage"}, failure, headers={"Retry-After": "1"})
        message_id = request.headers.get("X-Hub-Message-Id")
        try:
            record = json.loads(await request.body())
        except (json.JSONDecodeError, UnicodeDecodeError):
            return JSONResponse({"detail": "body is not JSON"}, 400)
        if not message_id or not isinstance(record, dict) or kind_key not in record:
            return JSONResponse(
                {"detail": f"X-Hub-Message-Id and a record with {kind_key!r} are required"}, 400
            )
        delivery_id = request.headers.get("X-Hub-Delivery-Id")
        return JSONResponse(receive(message_id, delivery_id, record))

    return Route(path, webhook, methods=["POST"])


def control_routes(switch: OutageSwitch, state_view: Callable[[], object]) -> list[Route]:
    """``GET /state`` (``state_view()`` as JSON) and ``POST /control/outage``."""

    async def get_state(_request: Request) -> Response:
        return JSONResponse(state_view())

    async def post_outage(request: Request) -> Response:
        try:
            body = await request.json()
            failures, status = int(body["failures"]), int(body.get("status", 503))
            seconds = float(body.get("seconds", 0))
        except (ValueError, KeyError, TypeError):
            return JSONResponse(
                {"detail": 'expected {"failures": N, "status": 503, "seconds": S}'}, 400
            )
        switch.arm(failures, status, lasting_s=seconds)
        return JSONResponse({"failures": failures, "status": status, "seconds": seconds})

    return [
        Route("/state", get_state, methods=["GET"]),
        Route("/control/outage", post_outage, methods=["POST"]),
    ]


# Serving


class SimulatorServer:
    """Runs an ASGI app under uvicorn in a thread on ``host:port``.

    It binds the socket itself and hands it to uvicorn, so ``port`` 0 gets a free port
    with no window for another process to take it; ``port`` tells which one. A given
    port is bound with ``SO_REUSEADDR``, so it may be one the caller holds reserved
    (``tooling.rig.ReservedPort``).
    """

    def __init__(self, app: Starlette, host: str = "127.0.0.1", port: int = 0) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._socket.bind((host, port))
        except OSError:
            self._socket.close()
            raise
        self.host, self.port = self._socket.getsockname()[:2]
        # proxy_headers off, as ``hub serve`` runs: the app itself decides which peers'
        # X-Forwarded-For it believes (HUB_TRUSTED_PROXIES), not uvicorn's loopback default.
        config = uvicorn.Config(
            app, log_level="warning", lifespan="on", ws="none", proxy_headers=False
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> SimulatorServer:
        """Start serving and return once the app has started, or stop it again and raise.

        Raises:
            RuntimeError: the server did not start within ``STARTUP_DEADLINE_S``.
        """
        self._thread.start()
        deadline = time.monotonic() + STARTUP_DEADLINE_S
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"simulator on {self.url} did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop serving (runs the app's shutdown) and release the port."""
        self._server.should_exit = True
        self._thread.join()
        self._socket.close()

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
