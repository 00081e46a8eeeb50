"""One chaos run: a rig, the load with faults injected at random, then the checker."""

import contextlib
import json
import random
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from hub.config import Settings
from hub.runtime import utc_now
from signing import Crypto
from tooling.chaos.checker import SETTLE_DEADLINE_S, Figures, check
from tooling.chaos.faults import FAULTS, FaultEvent, FaultInjector, Target, available_faults
from tooling.chaos.load import Load, send_load
from tooling.rig import Rig, RigOptions
from tooling.rig.postgres import PrivatePostgres

__all__ = ["ChaosOptions", "ChaosReport", "run_chaos"]


@dataclass(frozen=True)
class ChaosOptions:
    load: Load
    apis: int = 2
    workers: int = 2
    database_url: str | None = None
    broker_url: str | None = None
    #: Run the hub on a PostgreSQL cluster of its own, which the faults stop and start.
    private_postgres: bool = False
    seed: int = 0
    #: None: a fresh temporary folder (kept afterwards for its logs).
    data_dir: Path | None = None
    #: Fault names (``tooling.chaos.faults.FAULTS``); None: every one the set-up allows.
    faults: Sequence[str] | None = None
    #: Pause between two faults, in seconds.
    fault_pause_s: float = 0.5
    #: Extra ``HUB_*`` settings for the hub's processes.
    env: dict[str, str] = field(default_factory=dict)
    #: The rig's PKI: every key, the hub's and the police's that signs the load, is of it.
    crypto: Crypto = "rsa"

    @property
    def settle_deadline_s(self) -> float:
        """How long the hub may take to deliver its backlog after the load: three minutes,
        and a tenth of a second more per message."""
        return SETTLE_DEADLINE_S + self.load.messages / 10

    def __post_init__(self) -> None:
        """Refuse what cannot work before anything starts.

        Raises:
            ValueError: the option that cannot work, named.
        """
        if self.apis < 1:
            raise ValueError(f"apis must be at least 1, not {self.apis}")
        if self.workers < 1:
            raise ValueError(f"workers must be at least 1 (nothing is delivered without one), "
                             f"not {self.workers}")  # fmt: skip
        if self.private_postgres and self.database_url:
            raise ValueError("private_postgres and database_url exclude each other")
        unknown = set(self.faults or ()) - FAULTS.keys()
        if unknown:
            raise ValueError(f"unknown faults {sorted(unknown)}; known: {', '.join(FAULTS)}")


@dataclass(frozen=True)
class ChaosReport:
    figures: Figures
    faults: list[FaultEvent]
    data_dir: Path
    load_s: float
    total_s: float

    def to_json(self) -> str:
        report = asdict(self)
        report["data_dir"] = str(self.data_dir)
        report["violations"] = self.figures.violations()
        return json.dumps(report, indent=1, ensure_ascii=False)


def run_chaos(
    options: ChaosOptions, *, progress: Callable[[str], None] = lambda _text: None
) -> ChaosReport:
    """Start the rig, send the load while faults strike, check; every process is stopped
    at the end, also on Ctrl-C."""
    started = time.monotonic()
    data_dir = options.data_dir or Path(tempfile.mkdtemp(prefix="hub-chaos-"))
    rng = random.Random(options.seed)  # noqa: S311 — reproducible choices, not secrets
    with contextlib.ExitStack() as stack:
        postgres = None
        database_url = options.database_url
        if options.private_postgres:
            postgres = stack.enter_context(PrivatePostgres())
            database_url = postgres.url
        progress(
            f"starting {options.apis} API and {options.workers} worker processes, "
            f"{options.crypto} keys"
        )
        rig_options = RigOptions(
            data_dir=data_dir,
            database_url=database_url,
            broker_url=options.broker_url,
            apis=options.apis,
            workers=options.workers,
            env=options.env,
            crypto=options.crypto,
        )
        rig = stack.enter_context(Rig(rig_options).start())
        load_over = threading.Event()
        target = Target(rig, postgres, load_over=load_over)
        injector = FaultInjector(
            target,
            options.faults if options.faults is not None else available_faults(target),
            rng=random.Random(rng.random()),  # noqa: S311 — as above
            pause_s=options.fault_pause_s,
        )
        clients = [stack.enter_context(rig.client("police", i)) for i in range(options.apis)]
        progress(f"sending {options.load.messages} messages while injecting faults")
        load_started = time.monotonic()
        injector.start()
        try:
            results = send_load(
                options.load, clients, rng=rng, stamp=f"{options.seed}-{int(time.time())}",
                now=utc_now(), stop=load_over,
            )  # fmt: skip
        finally:
            load_over.set()
            injector.stop()
        load_s = time.monotonic() - load_started
        progress(f"load sent in {load_s:.1f} s; waiting for the hub to settle")
        figures = check(
            rig, results, max_retries=_max_retries(rig), deadline_s=options.settle_deadline_s
        )
    return ChaosReport(
        figures=figures,
        faults=injector.events,
        data_dir=data_dir,
        load_s=round(load_s, 1),
        total_s=round(time.monotonic() - started, 1),
    )


def _max_retries(rig: Rig) -> int:
    configured = rig.hub_env().get("HUB_DELIVERY_MAX_RETRIES")
    if configured is not None:
        return int(configured)
    default: int = Settings.model_fields["delivery_max_retries"].default
    return default
