"""A rig of real processes: the hub's APIs and workers, a broker, and a recording partner.

``Rig(RigOptions(data_dir=…)).start()`` makes a dev PKI, migrates the database,
onboards the sending partners and the push partners the receiver plays, then starts
``apis`` × ``hub serve --no-worker``, ``workers`` × ``hub worker`` and the receiver,
each a process with its log under ``<data_dir>/logs``; it returns when all answer.
The fault suite, ``hub chaos`` and ``hub bench`` kill, restart and measure these.
"""

import contextlib
import sys
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import TracebackType
from typing import Self

from cryptography import x509
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from adapters.hub_client import HubClient
from hub.onboarding import bundle_dir, onboard_partner
from hub.runtime import utc_now
from hub.store import (
    OutboxDelivery,
    PartnerCircuit,
    WorkerHeartbeat,
    make_engine,
    make_session_factory,
)
from hub.store.migrate import upgrade
from queues import EmbeddedRedis
from signing import HUB_SYSTEM_CODE, Crypto, DevPki, provider_of
from tooling.rig.processes import (
    ManagedProcess,
    ProcessGroup,
    ProcessSpec,
    child_env,
    http_probe,
)
from tooling.rig.receiver import ENDPOINT_PATHS, Receiver

__all__ = ["RIG_ENV", "SENDERS", "Rig", "RigOptions", "hub_key_provider"]

#: The partners that send (they pull their own inbox: nothing is pushed to them).
SENDERS = {"police": "ОМВД России по г. Петропавловску-Камчатскому"}
#: The push partners the receiver plays.
RECEIVERS = {
    "social": "КГАУ СЗ «Камчатский комплексный центр социального обслуживания населения»",
    "kdn": "Комиссия по делам несовершеннолетних и защите их прав Петропавловск-Камчатского ГО",
}
#: Settings the rig gives the hub unless ``RigOptions.env`` says otherwise: a hub that
#: notices faults within seconds (short timeout, lease and sweeps) and gives up on a
#: partner after about half a minute, so a run settles in a test's time. No rate limit.
#: ``HUB_STUCK_AFTER_S`` must outlast the time a backlog takes to drain: the sweeper
#: re-sends every pending row older than that, so a backlog of a minute re-sent every
#: few seconds floods the queue with copies faster than workers can skip them.
RIG_ENV = {
    "HUB_PARTNER_RATE_PER_S": "0",
    "HUB_DELIVERY_TIMEOUT_S": "2",
    "HUB_DELIVERY_LEASE_S": "6",
    "HUB_DELIVERY_MIN_BACKOFF_MS": "200",
    "HUB_DELIVERY_MAX_BACKOFF_MS": "3000",
    "HUB_SWEEP_INTERVAL_S": "1",
    "HUB_STUCK_AFTER_S": "15",
    "HUB_CIRCUIT_COOLDOWN_S": "1",
    "HUB_CIRCUIT_MAX_COOLDOWN_S": "4",
    "HUB_WORKER_STALE_S": "15",
    "HUB_LOG_FORMAT": "text",
}
#: A worker counts as ready once its heartbeat row is this fresh.
_HEARTBEAT_FRESH_S = 30


@dataclass(frozen=True)
class RigOptions:
    #: Everything the rig makes lives under it.
    data_dir: Path
    #: None: SQLite (WAL) at ``data_dir/hub.db``.
    database_url: str | None = None
    #: None: a private redis-server (``queues.EmbeddedRedis`` under ``data_dir``).
    broker_url: str | None = None
    #: ``hub serve --no-worker`` processes.
    apis: int = 1
    #: ``hub worker`` processes.
    workers: int = 1
    worker_threads: int = 8
    #: The dev PKI's crypto: every key the rig issues is of it, and the hub accepts the
    #: family of its own key (``hub_key_provider``) unless ``env`` says otherwise.
    crypto: Crypto = "rsa"
    #: Extra ``HUB_*`` settings for the hub's processes, over ``RIG_ENV``.
    env: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.apis < 1:
            raise ValueError(f"a rig needs at least one API process, not {self.apis}")
        if self.workers < 0:
            raise ValueError(f"workers cannot be negative: {self.workers}")
        if self.worker_threads < 1:
            raise ValueError(f"worker_threads must be at least 1, not {self.worker_threads}")

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'hub.db').resolve()}"


class Rig:
    """Start with ``start()``; as a context manager it stops every process it started,
    also on Ctrl-C or an exception."""

    def __init__(self, options: RigOptions) -> None:
        self.options = options
        self.data_dir = options.data_dir.resolve()
        self.database_url = options.effective_database_url
        self.processes = ProcessGroup(self.data_dir / "logs")
        self._api_ports: list[int] = []
        self._receiver: Receiver | None = None
        self._redis: EmbeddedRedis | None = None
        self._broker_url = options.broker_url
        self._engine: Engine | None = None
        # A fault thread may restart Redis while the rig stops (see ProcessGroup).
        self._redis_lock = threading.Lock()
        self._stopped = False

    @property
    def broker_url(self) -> str:
        if self._broker_url is None:
            raise RuntimeError("the rig is not started")
        return self._broker_url

    @property
    def api_urls(self) -> list[str]:
        """The base URL of each API process, ``api-0`` first."""
        return [f"http://127.0.0.1:{port}" for port in self._api_ports]

    @property
    def receiver(self) -> Receiver:
        if self._receiver is None:
            raise RuntimeError("the rig is not started")
        return self._receiver

    @property
    def owns_redis(self) -> bool:
        """Whether the broker is the rig's own Redis (which it can kill and restart)."""
        return self._redis is not None

    @property
    def api_names(self) -> list[str]:
        return [f"api-{i}" for i in range(self.options.apis)]

    @property
    def worker_names(self) -> list[str]:
        return [f"worker-{i}" for i in range(self.options.workers)]

    def start(self) -> Self:
        """Dev PKI, migrations, onboarding, then the processes; returns when all answer."""
        try:
            # Every port is held from here until stop(), across kills and restarts: the
            # partners' endpoints and the clients' API URLs stay true (tooling.rig.ports).
            self._receiver = Receiver(self.processes.reserve_port(), self.data_dir / "receiver.db")
            self._api_ports = [self.processes.reserve_port() for _ in self.api_names]
            self._prepare()
            if self._broker_url is None:
                self._redis = EmbeddedRedis(self.data_dir).start()
                self._broker_url = self._redis.url
            self._spawn_all()
            self.processes.wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def client(self, code: str, api: int = 0) -> HubClient:
        """A client of API process ``api`` with partner ``code``'s onboarded bundle."""
        return HubClient(self.api_urls[api], bundle_dir(self.data_dir, code))

    def kill(self, name: str) -> None:
        """SIGKILL ``name``: ``api-N``, ``worker-N``, ``receiver`` or ``redis``."""
        if name == "redis":
            self._own_redis().kill()
        else:
            self.processes.kill(name)

    def restart(self, name: str) -> None:
        """Start ``name`` again (killing it first if it runs) and wait until it answers."""
        if name == "redis":
            with self._redis_lock:
                redis = self._own_redis()
                if redis.owned:
                    redis.kill()
                if self._stopped:
                    raise RuntimeError("not restarting redis: the rig is stopping")
                # The same socket in the same folder: where the hub's processes look for it.
                self._redis = EmbeddedRedis(self.data_dir).start()
        else:
            self.processes.restart(name)

    def stop(self) -> None:
        """Stop every process (SIGTERM, then SIGKILL), then the private Redis. Safe twice."""
        try:
            self.processes.stop()
        finally:
            with self._redis_lock:
                self._stopped = True
                if self._redis is not None and self._redis.owned:
                    self._redis.stop()
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def describe(self, *, log_lines: int = 15) -> str:
        """What a stalled run needs to be understood after its folder is gone: the
        deliveries by partner and status (with their latest errors), the circuits, and
        the last ``log_lines`` lines of each process's log."""
        with self.session() as session:
            states = session.execute(
                select(OutboxDelivery.recipient, OutboxDelivery.status, func.count(),
                       func.max(OutboxDelivery.attempts), func.max(OutboxDelivery.last_error))
                .group_by(OutboxDelivery.recipient, OutboxDelivery.status)
            ).all()  # fmt: skip
            circuits = session.scalars(select(PartnerCircuit)).all()
            lines = ["deliveries (partner, status, count, most attempts, an error):"]
            lines += [f"  {row}" for row in states]
            lines += ["circuits:"]
            lines += [
                f"  {c.partner_code}: {c.state}, {c.consecutive_failures} failures,"
                f" probe at {c.probe_at}, last error {c.last_error!r}"
                for c in circuits
            ]
        for log in sorted(self.processes.log_dir.glob("*.log")):
            tail = log.read_text(errors="replace").splitlines()[-log_lines:]
            lines += [f"{log.name}, last {len(tail)} lines:", *(f"  {line}" for line in tail)]
        return "\n".join(lines)

    def hub_env(self) -> dict[str, str]:
        """The environment of the hub's processes (also for ``hub`` commands run against
        the rig, e.g. ``hub dlq replay``)."""
        return child_env(
            {
                **RIG_ENV,
                "HUB_SIGNATURE_PROVIDERS": hub_key_provider(DevPki(self.data_dir / "pki")),
                "HUB_WORKER_THREADS": str(self.options.worker_threads),
                **self.options.env,
                "HUB_DATA_DIR": str(self.data_dir),
                "DATABASE_URL": self.database_url,
                "REDIS_URL": self.broker_url,
            }
        )

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction on the rig's database (for checkers and fault injectors)."""
        with make_session_factory(self._db()).begin() as session:
            yield session

    def _db(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.database_url)
        return self._engine

    def _own_redis(self) -> EmbeddedRedis:
        if self._redis is None:
            raise ValueError("the rig uses an external broker; it can only kill its own Redis")
        return self._redis

    def _prepare(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        pki = DevPki(self.data_dir / "pki")
        pki.init(self.options.crypto)
        upgrade(self._db())
        with self.session() as session:
            for code, organisation in {**SENDERS, **RECEIVERS}.items():
                onboard_partner(
                    session,
                    pki,
                    data_dir=self.data_dir,
                    code=code,
                    organisation=organisation,
                    endpoint=self.receiver.endpoint(code) if code in ENDPOINT_PATHS else None,
                    now=utc_now(),
                    # A run on a given --data-dir again takes new ports: re-onboard.
                    replace_existing=True,
                )

    def _spawn_all(self) -> None:
        env = self.hub_env()
        hub = [sys.executable, "-m", "hub.cli"]
        self.processes.spawn(
            ProcessSpec(
                "receiver",
                [sys.executable, "-m", "tooling.rig.receiver", "--port", str(self.receiver.port),
                 "--db", str(self.receiver.db)],
                env,
                http_probe(self.receiver.url + "/control/mode"),
            )
        )  # fmt: skip
        for name, port, url in zip(self.api_names, self._api_ports, self.api_urls, strict=True):
            command = [*hub, "serve", "--no-worker", "--port", str(port)]
            self.processes.spawn(ProcessSpec(name, command, env, http_probe(url + "/readyz")))
        for name in self.worker_names:
            self.processes.spawn(ProcessSpec(name, [*hub, "worker"], env, self._heartbeat_probe))

    def _heartbeat_probe(self, process: ManagedProcess) -> bool:
        """A worker is ready once it has written its heartbeat (its broker is connected)."""
        with self.session() as session:
            return (
                session.scalar(
                    select(WorkerHeartbeat.worker_id).where(
                        WorkerHeartbeat.pid == process.pid,
                        WorkerHeartbeat.seen_at > utc_now() - timedelta(seconds=_HEARTBEAT_FRESH_S),
                    )
                )
                is not None
            )


def hub_key_provider(pki: DevPki) -> str:
    """The provider family of the hub's own key in ``pki`` (``rsa``, ``gost256``): the
    ``HUB_SIGNATURE_PROVIDERS`` of a hub that accepts its own PKI's keys and no others.

    Raises:
        FileNotFoundError: the PKI has no hub certificate (``DevPki.init`` makes one).
    """
    certificate = pki.credentials(HUB_SYSTEM_CODE).cert_path.read_bytes()
    return provider_of(x509.load_pem_x509_certificate(certificate))
