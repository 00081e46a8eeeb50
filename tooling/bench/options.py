"""What one bench run measures, and the refusal of options that cannot be measured."""

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from signing import Crypto

__all__ = ["ADMIN_DATABASE_URL", "BenchOptions", "BenchRefused", "Stack", "quick_options"]

#: The embedded stack (SQLite + a private Redis) or PostgreSQL (+ a private Redis).
Stack = Literal["sqlite", "postgresql"]

#: Where the PostgreSQL run creates (and afterwards drops) a database of its own.
ADMIN_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


class BenchRefused(ValueError):
    """The options describe a run that cannot be measured; the message says which and why."""


@dataclass(frozen=True)
class BenchOptions:
    """One run of ``hub bench``; the defaults are the full run of docs/performance.md."""

    #: Messages posted for each throughput figure.
    messages: int = 10_000
    #: Clients posting at the same time.
    concurrency: int = 16
    #: The stacks measured; the first gives ``hub_msgs_per_s`` and ``ratio``.
    stacks: tuple[Stack, ...] = ("sqlite", "postgresql")
    #: Delivery worker processes, and threads in each.
    workers: int = 1
    worker_threads: int = 8
    #: API processes.
    apis: int = 1
    #: Routine messages waiting in the outbox while the urgent ones are sent.
    backlog: int = 50_000
    #: Urgent messages sent, one per ``urgent_interval_s``, while the backlog drains.
    urgent: int = 100
    urgent_interval_s: float = 0.1
    #: Messages in the log for the second throughput figure; the first has 1 % of it.
    seed_log: int = 1_000_000
    #: Processes of the bare pipeline (one per core by default).
    bare_processes: int = 2
    #: The crypto of every key, the hub's and the partners' (``hub pki init --crypto``).
    crypto: Crypto = "rsa"
    #: Where the run keeps its data; None: a temporary folder, removed afterwards.
    data_dir: Path | None = None
    #: The smaller, faster run (``--quick``): its figures say so.
    quick: bool = False
    #: Administrative connection the PostgreSQL run creates its own database through.
    admin_database_url: str = ADMIN_DATABASE_URL

    @property
    def base_seed(self) -> int:
        """Messages in the log for the first throughput figure: 1 % of ``seed_log``."""
        return self.seed_log // 100

    def check(self) -> "BenchOptions":
        """Return the options unchanged if a run can measure them.

        Raises:
          BenchRefused: naming the option and what it must be.
        """
        positive = {
            "--messages": self.messages,
            "--concurrency": self.concurrency,
            "--workers": self.workers,
            "--worker-threads": self.worker_threads,
            "--apis": self.apis,
            "--urgent": self.urgent,
            "--bare-processes": self.bare_processes,
        }
        for name, value in positive.items():
            if value < 1:
                raise BenchRefused(f"{name} must be at least 1, not {value}")
        if self.backlog < 0:
            raise BenchRefused(f"--backlog must be 0 or more, not {self.backlog}")
        if self.seed_log < 100:
            raise BenchRefused(
                f"--seed-log must be at least 100 (the first figure seeds 1 % of it), "
                f"not {self.seed_log}"
            )
        if self.urgent_interval_s <= 0:
            raise BenchRefused("the urgent interval must be positive")
        if not self.stacks:
            raise BenchRefused("--database names no stack to measure")
        if self.data_dir is not None and self.data_dir.exists() and any(self.data_dir.iterdir()):
            raise BenchRefused(
                f"--data-dir {self.data_dir} is not empty: the bench starts its own hub there "
                "and would mix its data with what is in it; name an empty or new folder"
            )
        return self


#: ``--quick``'s counts: the fewest whose ratios came within 20 % of a 2,000-message run's
#: (docs/performance.md, "cpu_ratio and --quick"); over 100 messages a figure the hub's rate
#: was 36-49 msg/s against 44-65 over 500 and 2,000, the posting clients' CPU three times as much.
_QUICK_MESSAGES = 500
_QUICK_BACKLOG = 1_000
_QUICK_URGENT = 10
_QUICK_SEED_LOG = 5_000


def quick_options(options: BenchOptions) -> BenchOptions:
    """The ``--quick`` variant of ``options``: smaller counts and seeds, a few minutes."""
    return replace(
        options,
        messages=min(options.messages, _QUICK_MESSAGES),
        backlog=min(options.backlog, _QUICK_BACKLOG),
        urgent=min(options.urgent, _QUICK_URGENT),
        seed_log=min(options.seed_log, _QUICK_SEED_LOG),
        quick=True,
    )
