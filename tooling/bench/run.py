"""One bench run, in order: the bare pipeline, then the whole hub on each stack.

Every key of the run is of ``--crypto``: the dev PKI's CA, the hub's and the partners'
(``RigOptions.crypto``), and the hub accepts that family only. On the first stack: warm
up, measure sign+verify pairs on one core (the partner's key, the hub's verifier), seed
the log to 1 % of ``--seed-log``, measure throughput (``hub_msgs_per_s``); put a
routine backlog in the outbox and probe the urgent lane while it drains; seed the log
up to ``--seed-log`` and measure throughput again (``scale_ratio``); read the worker's
memory before and after all of it. Every other stack gets a warm-up, the small seed
and one throughput figure. The hub runs as real processes (``tooling.rig``); each stack
gets a fresh data folder, and a PostgreSQL stack a database of its own, dropped
afterwards. Each throughput figure reads the CPU time of every role while it runs
(``tooling.bench.cpu``): the hub's processes and servers, and apart the posting clients
and the recording partner.
"""

import contextlib
import itertools
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from hub.config import Settings
from hub.ingest import verify_policy
from hub.observability import queue_depths
from hub.onboarding import bundle_dir
from hub.runtime import build_runtime
from hub.store import (
    DeliveryStatus,
    MessageLog,
    OutboxDelivery,
    make_engine,
    make_session_factory,
)
from signing import DevPki, XmlSigner, XmlVerifier
from tooling.bench.bare import BareFigures, bare_figures
from tooling.bench.cpu import (
    CpuSampler,
    PostgresServer,
    Reading,
    process_trees,
    redis_server_pid,
    track_backends,
)
from tooling.bench.figures import (
    APART_ROLES,
    HUB_ROLES,
    BenchFigures,
    StackFigures,
    machine_description,
)
from tooling.bench.load import Poster, wait_for_arrivals
from tooling.bench.mix import SENDER, build_envelopes, build_mix
from tooling.bench.options import BenchOptions, Stack
from tooling.bench.pairs import sign_verify_pairs_per_s
from tooling.bench.procfs import rss_mb
from tooling.bench.queries import backlog_left, delivered_by, latencies_ms
from tooling.bench.seed import SeedSample, count_logged, seed_backlog, seed_log
from tooling.bench.urgent import UrgentProbe, percentile, probe_urgent
from tooling.rig import Rig, RigOptions

__all__ = ["BENCH_ENV", "run_bench"]

#: The hub's settings in a bench: production's delivery timings (not the rig's
#: fast-failing test ones), JSON logs as in production, and no per-partner rate limit
#: (one simulated partner sends everything).
BENCH_ENV = {
    "HUB_PARTNER_RATE_PER_S": "0",
    "HUB_DELIVERY_TIMEOUT_S": "10",
    "HUB_DELIVERY_LEASE_S": "60",
    "HUB_DELIVERY_MIN_BACKOFF_MS": "1000",
    "HUB_DELIVERY_MAX_BACKOFF_MS": "300000",
    "HUB_SWEEP_INTERVAL_S": "5",
    "HUB_STUCK_AFTER_S": "120",
    "HUB_CIRCUIT_COOLDOWN_S": "30",
    "HUB_CIRCUIT_MAX_COOLDOWN_S": "600",
    "HUB_LOG_FORMAT": "json",
}
#: Messages posted (and delivered) before anything is measured: imports, caches, pools.
_WARMUP = 30
#: Distinct signed messages the seeded log is made of.
_SEED_SAMPLES = 30
#: The distinct shapes of the mix's messages (one, two and three children).
_MIX_SHAPES = 3
#: Copies each message of the mix is routed to (``social`` and ``kdn``).
_COPIES = 2

#: Messages the bare pipeline runs at least, the round's signed messages repeated (it keeps
#: no state, so a repeat costs what the first did): over the 100 of a small run its rate was
#: a tenth of a second's and swung from 82 to 535 msg/s (docs/performance.md, "Method").
_BARE_MESSAGES = 2_000

#: The slowest backlog drain the urgent probes are prepared for, in deliveries a second.
_SLOWEST_DRAIN_PER_S = 100
#: How often the backlog is looked at while it drains, in seconds.
_DRAIN_CHECK_S = 1.0
#: How long the hub may take to record deliveries the receiver has, in seconds.
_RECORD_S = 30.0

Progress = Callable[[str], None]


@dataclass(frozen=True)
class _Hub:
    """A running hub under measurement, and the bench's own read-only view of its database."""

    rig: Rig
    stack: Stack
    reads: sessionmaker[Session]
    #: How the CPU time of each role's processes is read (``tooling.bench.cpu``).
    cpu: Mapping[str, Reading]


@dataclass(frozen=True)
class _Pairs:
    """Sign+verify pairs a second on one core, and the size of the message signed."""

    per_s: float
    message_bytes: int


@dataclass(frozen=True)
class _FirstStack:
    """The figures only the first stack measures."""

    pairs: _Pairs
    bare: BareFigures
    small: StackFigures
    large: StackFigures
    urgent_ms: Sequence[float]
    rss_start_mb: float
    rss_after_mb: float
    deliveries: int


def run_bench(options: BenchOptions, *, progress: Progress) -> BenchFigures:
    """Run every measurement ``options`` asks for and return the figures.

    Raises:
      BenchRefused: impossible options.
      TimeoutError: deliveries stalled (the message says the hub's state and its logs' tails).
    """
    options.check()
    load_start = os.getloadavg()[0]
    with _data_root(options.data_dir) as root:
        first_stack, *others = options.stacks
        with _rig(first_stack, root, options) as hub:
            progress(f"{first_stack}: hub started under {hub.rig.data_dir}")
            first = _measure_first(hub, options, progress)
            progress(f"{first_stack}: stopping the hub")
        stacks = [first.small]
        for stack in others:
            with _rig(stack, root, options) as hub:
                progress(f"{stack}: hub started under {hub.rig.data_dir}")
                sign = _partner_signer(hub.rig.data_dir)
                samples = _seed_samples(hub, _warm_up(hub, options, sign))
                messages = build_mix(options.messages, sign=sign)
                stacks.append(_seeded_throughput(hub, options, samples, messages, progress))
                progress(f"{stack}: stopping the hub")
    return BenchFigures(
        quick=options.quick,
        crypto=options.crypto,
        machine=machine_description(),
        cores=os.cpu_count() or 1,
        options=_options_json(options),
        bare_msgs_per_s=first.bare.msgs_per_s,
        bare_cpu_ms_per_msg=first.bare.cpu_ms_per_msg,
        pairs_per_s=first.pairs.per_s,
        pair_message_bytes=first.pairs.message_bytes,
        stacks=tuple(stacks),
        urgent_p50_ms=percentile(first.urgent_ms, 0.50),
        urgent_p99_ms=percentile(first.urgent_ms, 0.99),
        urgent_count=len(first.urgent_ms) // _COPIES,
        urgent_backlog=options.backlog,
        scale_small=first.small,
        scale_large=first.large,
        worker_rss_start_mb=first.rss_start_mb,
        worker_rss_after_mb=first.rss_after_mb,
        worker_deliveries=first.deliveries,
        load_average=(round(load_start, 2), round(os.getloadavg()[0], 2)),
    )


def _measure_first(hub: _Hub, options: BenchOptions, progress: Progress) -> _FirstStack:
    """Sign+verify pairs, bare pipeline, throughput, urgent lane under backlog, scale, and
    the worker's memory."""
    sign = _partner_signer(hub.rig.data_dir)
    samples = _seed_samples(hub, _warm_up(hub, options, sign))
    progress(f"{options.crypto} sign+verify pairs on one core")
    pairs = _pairs(hub)
    progress(f"signing {2 * options.messages:,} messages as {SENDER}")
    small_round, large_round = (build_mix(options.messages, sign=sign) for _ in range(2))
    progress(f"bare pipeline: {options.bare_processes} processes")
    bare = bare_figures(
        hub.rig.data_dir,
        _bare_round(small_round),
        processes=options.bare_processes,
        signature_providers=_signature_providers(hub),
    )
    worker = hub.rig.processes["worker-0"].pid
    rss_start, measured_from = rss_mb(worker), datetime.now(UTC)
    small = _seeded_throughput(hub, options, samples, small_round, progress)
    urgent = _urgent(hub, options, samples, sign, progress)
    large = _seeded_throughput(
        hub, options, samples, large_round, progress, seed_to=options.seed_log
    )
    return _FirstStack(
        pairs=pairs,
        bare=bare,
        small=small,
        large=large,
        urgent_ms=urgent,
        rss_start_mb=rss_start,
        rss_after_mb=rss_mb(worker),
        deliveries=_delivered_since(hub, measured_from),
    )


def _bare_round(messages: Sequence[tuple[str, bytes]]) -> list[bytes]:
    """The signed bytes of ``messages``, repeated up to ``_BARE_MESSAGES`` if fewer."""
    raws = [raw for _, raw in messages]
    return list(itertools.islice(itertools.cycle(raws), max(len(raws), _BARE_MESSAGES)))


def _pairs(hub: _Hub) -> _Pairs:
    """The partner's signature and the hub's verification of the mix's largest message."""
    pki = DevPki(hub.rig.data_dir / "pki")
    signer = XmlSigner(pki.signing_key(SENDER))
    verifier = XmlVerifier(pki.trust_store(), verify_policy(_settings(hub)))
    size, envelope = max(
        ((len(signer.sign(envelope)), envelope) for _, envelope in build_envelopes(_MIX_SHAPES)),
        key=lambda sized: sized[0],
    )
    return _Pairs(sign_verify_pairs_per_s(signer, verifier, envelope, sender=SENDER), size)


def _seeded_throughput(
    hub: _Hub,
    options: BenchOptions,
    samples: Sequence[SeedSample],
    messages: Sequence[tuple[str, bytes]],
    progress: Progress,
    *,
    seed_to: int | None = None,
) -> StackFigures:
    """Seed the log up to ``seed_to`` (default: 1 % of ``--seed-log``), then measure."""
    target = options.base_seed if seed_to is None else seed_to
    with hub.reads() as session:
        logged = count_logged(session)
    if target > logged:
        progress(f"seeding the log: {logged:,} → {target:,} messages")
        seed_log(hub.rig.session, samples, count=target - logged, now=datetime.now(UTC))
    with hub.reads() as session:
        logged = count_logged(session)
    progress(f"throughput: {len(messages):,} messages, {options.concurrency} clients")
    return _throughput(hub, options, messages, log_before=logged)


def _throughput(
    hub: _Hub,
    options: BenchOptions,
    messages: Sequence[tuple[str, bytes]],
    *,
    log_before: int,
) -> StackFigures:
    poster = _poster(hub, options.concurrency)
    with CpuSampler(hub.cpu) as cpu:
        try:
            started = datetime.now(UTC)
            posted = poster.post_all(messages)
        finally:
            poster.close()
        _wait_delivered(hub, posted.accepted)
        last = _recorded(hub, posted.accepted)
    per_msg = 1000 / max(len(posted.accepted), 1)
    cpu_s = {**cpu.seconds_by_role(), "load": posted.cpu_seconds}
    cpu_ms = {role: per_msg * cpu_s[role] for role in (*HUB_ROLES, *APART_ROLES) if role in cpu_s}
    seconds = (last - started).total_seconds()
    return StackFigures(
        stack=hub.stack,
        sent=len(messages),
        accepted=len(posted.accepted),
        delivered=len(posted.accepted),
        cpu_ms_by_role=cpu_ms,
        seconds=seconds,
        refused=posted.refused,
        log_before=log_before,
    )


def _urgent(
    hub: _Hub,
    options: BenchOptions,
    samples: Sequence[SeedSample],
    sign: Callable[..., bytes],
    progress: Progress,
) -> list[float]:
    """Latencies of urgent copies posted while a backlog of ``options.backlog`` drains.

    Returns when the backlog is delivered and the broker holds nothing more (wakes
    the sweeper sent are worked off too), so the next figure starts settled.
    """
    # Enough urgent messages to probe the whole drain, were it as slow as _SLOWEST_DRAIN_PER_S.
    drain_s = options.backlog * _COPIES / _SLOWEST_DRAIN_PER_S
    count = max(options.urgent, int(drain_s / options.urgent_interval_s))
    progress(f"signing {count:,} urgent messages; seeding a backlog of {options.backlog:,}")
    urgent = build_mix(count, sign=sign, urgent=True)
    seeded_at = datetime.now(UTC)
    ids = seed_backlog(hub.rig.session, samples, count=options.backlog, now=seeded_at)
    runtime = build_runtime(_settings(hub))
    try:
        assert runtime.actors is not None
        # The partners woken as the API would have on commit.
        runtime.actors.wake_for(
            (recipient, "routine") for sample in samples for recipient in sample.copies
        )
        progress(f"urgent lane: one message each {options.urgent_interval_s * 1000:.0f} ms")
        probe = _probe(hub, options, urgent, ids)
        progress("waiting for the backlog to drain and the broker to empty")
        while not _drained(hub, ids) or any(queue_depths(runtime.broker).values()):
            time.sleep(_DRAIN_CHECK_S)
    finally:
        runtime.close()
    with hub.reads() as session:
        return latencies_ms(session, probe.accepted)


def _probe(
    hub: _Hub, options: BenchOptions, urgent: Sequence[tuple[str, bytes]], backlog: Sequence[int]
) -> UrgentProbe:
    poster = _poster(hub, 1)
    try:
        probe = probe_urgent(
            poster,
            urgent,
            interval_s=options.urgent_interval_s,
            minimum=options.urgent,
            drained=lambda: _drained(hub, backlog),
        )
    finally:
        poster.close()
    wait_for_arrivals(
        lambda: hub.rig.receiver.arrivals().keys(),
        [(recipient, message_id) for message_id in probe.accepted for recipient in _recipients()],
    )
    return probe


def _drained(hub: _Hub, backlog: Sequence[int]) -> bool:
    if not backlog:
        return True
    with hub.reads() as session:
        return backlog_left(session, backlog[0], backlog[-1]) == 0


def _recorded(hub: _Hub, message_ids: Sequence[str]) -> datetime:
    """When the hub recorded the last of these messages' copies delivered.

    The receiver has them all already; the hub writes "delivered" just after each answer.

    Raises:
      TimeoutError: the hub's record does not catch up within ``_RECORD_S`` seconds.
    """
    deadline = time.monotonic() + _RECORD_S
    while True:
        with hub.reads() as session:
            delivered, last = delivered_by(session, message_ids)
        if delivered >= len(message_ids) * _COPIES and last is not None:
            return last
        if time.monotonic() > deadline:
            raise TimeoutError(f"the hub recorded {delivered} deliveries of {len(message_ids)}")
        time.sleep(_DRAIN_CHECK_S / 10)


def _wait_delivered(hub: _Hub, message_ids: Iterable[str]) -> None:
    """Wait until the receiver has every copy of ``message_ids``.

    Raises:
      TimeoutError: deliveries stalled; it says the hub's state and its logs' last lines,
        as the run's folder is removed when the bench ends.
    """
    try:
        wait_for_arrivals(
            lambda: hub.rig.receiver.arrivals().keys(),
            [(recipient, message_id) for message_id in message_ids for recipient in _recipients()],
        )
    except TimeoutError as stalled:
        raise TimeoutError(f"{stalled}\n{hub.rig.describe()}") from stalled


def _warm_up(hub: _Hub, options: BenchOptions, sign: Callable[..., bytes]) -> list[str]:
    """Post and deliver a few messages before measuring; returns their MessageIds."""
    messages = build_mix(min(_WARMUP, options.messages), sign=sign)
    poster = _poster(hub, min(options.concurrency, _WARMUP))
    try:
        posted = poster.post_all(messages)
    finally:
        poster.close()
    if posted.refused:
        raise RuntimeError(f"the hub refused warm-up messages: {posted.refused}")
    _wait_delivered(hub, posted.accepted)
    return list(posted.accepted)


def _seed_samples(hub: _Hub, message_ids: Sequence[str]) -> list[SeedSample]:
    """Real logged messages and the hub-signed copies it delivered, to seed the log with."""
    samples: dict[int, SeedSample] = {}
    with hub.reads() as session:
        rows = session.execute(
            select(MessageLog.id, MessageLog.raw, MessageLog.sender, OutboxDelivery.recipient,
                   OutboxDelivery.payload)
            .join(OutboxDelivery, OutboxDelivery.message_log_id == MessageLog.id)
            .where(MessageLog.message_id.in_(list(message_ids)[:_SEED_SAMPLES]))
        )  # fmt: skip
        for log_id, raw, sender, recipient, payload in rows:
            sample = samples.setdefault(log_id, SeedSample(raw, sender, {}))
            sample.copies[recipient] = payload
    return list(samples.values())


def _delivered_since(hub: _Hub, moment: datetime) -> int:
    """Copies the hub's workers delivered since ``moment`` (seeded history is older)."""
    with hub.reads() as session:
        return (
            session.scalar(
                select(func.count()).where(
                    OutboxDelivery.status == DeliveryStatus.DELIVERED,
                    OutboxDelivery.delivered_at >= moment,
                )
            )
            or 0
        )


def _cpu_readings(rig: Rig, postgres: PostgresServer | None) -> dict[str, Reading]:
    """How to read each role's CPU time: the hub's processes and servers, then the
    recording partner (``load``, the bench's own clients, is timed by the ``Poster``)."""

    def pids(names: Iterable[str]) -> list[int]:
        return [rig.processes[name].pid for name in names]

    readings = {
        "api": process_trees(pids(rig.api_names)),
        "worker": process_trees(pids(rig.worker_names)),
        # The private redis-server the rig started (or a REDIS_URL's, if on this machine).
        "redis": process_trees([redis_server_pid(rig.broker_url)]),
    }
    if postgres is not None:
        readings["postgresql"] = postgres.reading
    readings["partners"] = process_trees(pids(["receiver"]))
    return readings


def _partner_signer(data_dir: Path) -> Callable[..., bytes]:
    return XmlSigner(DevPki(data_dir / "pki").signing_key(SENDER)).sign


def _signature_providers(hub: _Hub) -> str:
    return hub.rig.hub_env()["HUB_SIGNATURE_PROVIDERS"]


def _settings(hub: _Hub) -> Settings:
    """The settings of the hub's processes that the bench's own reads and checks need."""
    return Settings(
        data_dir=hub.rig.data_dir,
        database_url=hub.rig.database_url,
        broker_url=hub.rig.broker_url,
        signature_providers=_signature_providers(hub),
    )


def _poster(hub: _Hub, concurrency: int) -> Poster:
    api_key = (bundle_dir(hub.rig.data_dir, SENDER) / "api_key").read_text(encoding="ascii").strip()
    return Poster(hub.rig.api_urls, api_key, concurrency=concurrency)


def _recipients() -> tuple[str, ...]:
    return ("social", "kdn")


@contextlib.contextmanager
def _rig(stack: Stack, root: Path, options: BenchOptions) -> Iterator[_Hub]:
    with contextlib.ExitStack() as cleanup:
        database_url = None
        if stack == "postgresql":
            database_url = cleanup.enter_context(_fresh_database(options.admin_database_url))
        rig = cleanup.enter_context(
            Rig(
                RigOptions(
                    data_dir=root / stack,
                    database_url=database_url,
                    apis=options.apis,
                    workers=options.workers,
                    worker_threads=options.worker_threads,
                    crypto=options.crypto,
                    env=BENCH_ENV,
                )
            )
        )
        rig.start()
        engine = make_engine(rig.database_url)
        cleanup.callback(engine.dispose)
        postgres = None
        if stack == "postgresql":
            postgres = PostgresServer.of(engine, excluded=track_backends(engine))
        reads = make_session_factory(engine, read_only=True)
        yield _Hub(rig, stack, reads, _cpu_readings(rig, postgres))


@contextlib.contextmanager
def _fresh_database(admin_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database for one run; dropped afterwards, whatever happens."""
    name = f"hub_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextlib.contextmanager
def _data_root(data_dir: Path | None) -> Iterator[Path]:
    """``data_dir`` as given (kept), or a temporary folder removed afterwards."""
    if data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
        yield data_dir
        return
    root = Path(tempfile.mkdtemp(prefix="hub-bench-"))
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _options_json(options: BenchOptions) -> dict[str, object]:
    values = asdict(options)
    values["data_dir"] = str(options.data_dir) if options.data_dir is not None else None
    values["stacks"] = list(options.stacks)
    values.pop("admin_database_url")
    values["base_seed"] = options.base_seed
    return values
