"""The figures of one bench run: the JSON ``--json`` writes and the table printed.

Rates are messages per second, each message delivered to every recipient; latencies
milliseconds; memory MiB (``VmRSS``).
"""

import json
import os
import platform
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rich.table import Table

__all__ = [
    "APART_ROLES",
    "HUB_ROLES",
    "BenchFigures",
    "StackFigures",
    "Targets",
    "machine_description",
]

#: The roles whose CPU time is the hub's: its processes and the servers they use.
HUB_ROLES = ("api", "worker", "redis", "postgresql")
#: Roles measured apart, not the hub's: the bench's posting clients and the recording partner.
APART_ROLES = ("load", "partners")


@dataclass(frozen=True)
class Targets:
    """What issues 8 and 20 ask of this 2-core machine (issue 20's where they differ: the
    bench's own clients and partner share the cores, so a wall ratio of 0.5 is out of reach
    even for a hub that adds nothing; ``cpu_ratio`` says what the hub adds)."""

    ratio: float = 0.25
    cpu_ratio: float = 0.45
    #: The first stack's throughput, and the hub's CPU per message there (ms).
    hub_msgs_per_s: float = 250.0
    hub_cpu_ms_per_msg: float = 6.0
    urgent_p99_ms: float = 500.0
    scale_ratio: float = 0.8
    #: Worker RSS growth over 100,000 messages, in MiB.
    rss_growth_mb: float = 50.0
    #: What issue 17 asks of GOST: sign+verify pairs a second on one core, 5 KB message.
    gost_pairs_per_s: float = 200.0


@dataclass(frozen=True)
class StackFigures:
    """Throughput of the whole hub on one stack."""

    stack: str
    #: Messages posted, accepted (202), and delivered to every recipient.
    sent: int
    accepted: int
    delivered: int
    #: First post to the hub's time of the last delivery, in seconds.
    seconds: float
    #: Refusals by problem code; none expected.
    refused: dict[str, int] = field(default_factory=dict)
    #: Messages already in the log when the run started.
    log_before: int = 0
    #: CPU time per message by role, in ms: the hub's (``HUB_ROLES``; ``postgresql`` on
    #: that stack only) and, apart, the bench's clients and the recording partner
    #: (``APART_ROLES``): what the message costs whatever else runs on the machine.
    cpu_ms_by_role: dict[str, float] = field(default_factory=dict)

    @property
    def msgs_per_s(self) -> float:
        return self.delivered / self.seconds if self.seconds > 0 else 0.0

    @property
    def cpu_ms_per_msg(self) -> float:
        """CPU time of the hub's API and worker processes per message, in ms (the figure
        of the runs before issue 20, without the servers)."""
        return self.cpu_ms_by_role.get("api", 0.0) + self.cpu_ms_by_role.get("worker", 0.0)

    @property
    def hub_cpu_ms_per_msg(self) -> float:
        """The hub's whole CPU time per message, in ms: API, workers, Redis, PostgreSQL."""
        return sum(ms for role, ms in self.cpu_ms_by_role.items() if role in HUB_ROLES)

    def cpu_ratio(self, bare_cpu_ms_per_msg: float) -> float:
        """The bare pipeline's CPU time per message over the hub's: the share of the hub's
        CPU that is work no hub can avoid."""
        hub = self.hub_cpu_ms_per_msg
        return bare_cpu_ms_per_msg / hub if hub > 0 else 0.0


@dataclass(frozen=True)
class BenchFigures:
    """Everything one run measured; ``to_json`` gives the ``--json`` file's content."""

    quick: bool
    #: The crypto of every key in the run: "rsa" or "gost" (``--crypto``).
    crypto: str
    machine: str
    cores: int
    #: The options the run was made with (counts, concurrency, processes).
    options: dict[str, object]
    bare_msgs_per_s: float
    #: The bare pipeline's CPU time per message, in ms (``BareFigures``).
    bare_cpu_ms_per_msg: float
    #: Sign+verify pairs per CPU second of one thread with the run's keys (the partner signs, the
    #: hub's verifier checks), over the mix's largest message, of ``pair_message_bytes``.
    pairs_per_s: float
    pair_message_bytes: int
    #: The first stack's throughput (``hub_msgs_per_s``), then the others.
    stacks: tuple[StackFigures, ...]
    urgent_p50_ms: float
    urgent_p99_ms: float
    #: Urgent messages measured and the routine backlog they were sent into.
    urgent_count: int
    urgent_backlog: int
    #: Throughput with ``seed_large`` messages in the log over that with ``seed_small``.
    scale_small: StackFigures
    scale_large: StackFigures
    worker_rss_start_mb: float
    worker_rss_after_mb: float
    #: Deliveries the measured worker made between the two RSS readings.
    worker_deliveries: int
    #: The machine's 1-minute load average when the run started and ended: other work
    #: on the same cores lowers every figure.
    load_average: tuple[float, float] = (0.0, 0.0)
    targets: Targets = Targets()

    @property
    def hub_msgs_per_s(self) -> float:
        return self.stacks[0].msgs_per_s

    @property
    def ratio(self) -> float:
        return self.hub_msgs_per_s / self.bare_msgs_per_s

    @property
    def cpu_ratio(self) -> float:
        """The first stack's ``cpu_ratio``: bare CPU per message over the hub's."""
        return self.stacks[0].cpu_ratio(self.bare_cpu_ms_per_msg)

    @property
    def scale_ratio(self) -> float:
        return self.scale_large.msgs_per_s / self.scale_small.msgs_per_s

    def to_json(self) -> dict[str, object]:
        """The figures as plain JSON values, every issue-8 name at the top level."""
        return {
            "quick": self.quick,
            "crypto": self.crypto,
            "machine": self.machine,
            "cores": self.cores,
            "options": self.options,
            "bare_msgs_per_s": round(self.bare_msgs_per_s, 1),
            "bare_cpu_ms_per_msg": round(self.bare_cpu_ms_per_msg, 2),
            "hub_msgs_per_s": round(self.hub_msgs_per_s, 1),
            "ratio": round(self.ratio, 3),
            "cpu_ratio": round(self.cpu_ratio, 3),
            "pairs_per_s": round(self.pairs_per_s, 1),
            "pair_message_bytes": self.pair_message_bytes,
            "stacks": {s.stack: self._stack_json(s) for s in self.stacks},
            "urgent_p50_ms": round(self.urgent_p50_ms, 1),
            "urgent_p99_ms": round(self.urgent_p99_ms, 1),
            "urgent_count": self.urgent_count,
            "urgent_backlog": self.urgent_backlog,
            "scale_ratio": round(self.scale_ratio, 3),
            "scale": {
                "small": self._stack_json(self.scale_small),
                "large": self._stack_json(self.scale_large),
            },
            "worker_rss_mb": {
                "start": round(self.worker_rss_start_mb, 1),
                "after": round(self.worker_rss_after_mb, 1),
                "growth": round(self.worker_rss_after_mb - self.worker_rss_start_mb, 1),
                "deliveries": self.worker_deliveries,
            },
            "load_average": {"start": self.load_average[0], "end": self.load_average[1]},
            "targets": asdict(self.targets),
        }

    def _stack_json(self, stack: StackFigures) -> dict[str, object]:
        return {
            "hub_msgs_per_s": round(stack.msgs_per_s, 1),
            "ratio": round(stack.msgs_per_s / self.bare_msgs_per_s, 3),
            "cpu_ratio": round(stack.cpu_ratio(self.bare_cpu_ms_per_msg), 3),
            "sent": stack.sent,
            "accepted": stack.accepted,
            "delivered": stack.delivered,
            "seconds": round(stack.seconds, 3),
            "refused": stack.refused,
            "log_before": stack.log_before,
            "cpu_ms_per_msg": round(stack.cpu_ms_per_msg, 2),
            "hub_cpu_ms_per_msg": round(stack.hub_cpu_ms_per_msg, 2),
            "cpu_ms_by_role": {role: round(ms, 2) for role, ms in stack.cpu_ms_by_role.items()},
        }

    def write_json(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n")

    def table(self) -> Table:
        """The figures beside their targets, for the terminal."""
        title = f"hub bench --crypto {self.crypto}"
        title += " --quick (small counts and seeds)" if self.quick else ""
        table = Table("figure", "value", "target", title=f"{title} — {self.machine}")
        table.add_row(
            f"{self.crypto} sign+verify pairs per core ({self.pair_message_bytes:,}-byte message)",
            f"{self.pairs_per_s:,.0f} pairs/s",
            _at_least(self.pairs_per_s, self.targets.gost_pairs_per_s)
            if self.crypto == "gost"
            else "",
        )
        table.add_row(
            "bare pipeline",
            f"{self.bare_msgs_per_s:,.0f} msg/s ({self.bare_cpu_ms_per_msg:.1f} ms CPU each)",
            "",
        )
        for stack in self.stacks:
            table.add_row(
                f"hub, {stack.stack}",
                f"{stack.msgs_per_s:,.0f} msg/s ({stack.delivered:,} in {stack.seconds:.1f} s, "
                f"{stack.hub_cpu_ms_per_msg:.1f} ms CPU each: "
                f"{_by_role(stack.cpu_ms_by_role, HUB_ROLES)}; apart: "
                f"{_by_role(stack.cpu_ms_by_role, APART_ROLES)}), "
                f"cpu_ratio {stack.cpu_ratio(self.bare_cpu_ms_per_msg):.2f}",
                "",
            )
        first = self.stacks[0]
        table.add_row(
            f"hub msg/s ({first.stack})",
            f"{first.msgs_per_s:,.0f}",
            _at_least(first.msgs_per_s, self.targets.hub_msgs_per_s),
        )
        table.add_row(
            f"hub CPU per message ({first.stack})",
            f"{first.hub_cpu_ms_per_msg:.1f} ms",
            _below(first.hub_cpu_ms_per_msg, self.targets.hub_cpu_ms_per_msg, "ms"),
        )
        table.add_row("ratio", f"{self.ratio:.2f}", _at_least(self.ratio, self.targets.ratio))
        table.add_row(
            "cpu_ratio (bare CPU per message / the hub's)",
            f"{self.cpu_ratio:.2f}",
            _at_least(self.cpu_ratio, self.targets.cpu_ratio),
        )
        backlog = f"under a {self.urgent_backlog:,} backlog"
        table.add_row(f"urgent p50 {backlog}", f"{self.urgent_p50_ms:,.0f} ms", "")
        table.add_row(
            f"urgent p99 {backlog}",
            f"{self.urgent_p99_ms:,.0f} ms",
            _below(self.urgent_p99_ms, self.targets.urgent_p99_ms, "ms"),
        )
        table.add_row(
            f"scale ({self.scale_large.log_before:,} / {self.scale_small.log_before:,} logged)",
            f"{self.scale_ratio:.2f} ({self.scale_large.msgs_per_s:,.0f} / "
            f"{self.scale_small.msgs_per_s:,.0f} msg/s)",
            _at_least(self.scale_ratio, self.targets.scale_ratio),
        )
        growth = self.worker_rss_after_mb - self.worker_rss_start_mb
        table.add_row(
            f"worker RSS over {self.worker_deliveries:,} deliveries",
            f"{self.worker_rss_start_mb:.0f} → {self.worker_rss_after_mb:.0f} MiB",
            _below(growth, self.targets.rss_growth_mb, "MiB growth"),
        )
        start, end = self.load_average
        table.add_row("machine load (1-min average)", f"{start:.1f} → {end:.1f}", "")
        return table


def machine_description() -> str:
    """Cores, CPU model and memory of this machine, as the README states them."""
    model = "unknown CPU"
    memory = ""
    cpuinfo, meminfo = Path("/proc/cpuinfo"), Path("/proc/meminfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    if meminfo.exists():
        kib = int(meminfo.read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    return f"{os.cpu_count()} cores, {model}{memory}, Python {platform.python_version()}"


def _by_role(cpu_ms: dict[str, float], roles: tuple[str, ...]) -> str:
    return ", ".join(f"{role} {ms:.1f}" for role, ms in cpu_ms.items() if role in roles)


def _at_least(value: float, target: float) -> str:
    return f"≥ {target:g} " + ("[green]met[/green]" if value >= target else "[red]not met[/red]")


def _below(value: float, target: float, unit: str) -> str:
    mark = "[green]met[/green]" if value < target else "[red]not met[/red]"
    return f"< {target:g} {unit} {mark}"
