"""``hub stats``: the administrators' overview as tables on the terminal."""

from pathlib import Path

from rich.table import Table

from hub.admin import DELIVERY_STATES, Overview, read_overview
from hub.cli.common import DataDirOption, console, load_settings
from hub.observability import LatencyFigures
from hub.runtime import utc_now
from hub.store import make_engine, make_session_factory
from queues import build_broker


def stats(data_dir: Path | None = DataDirOption) -> None:
    """Deliveries by status per partner, queue depths, latency, rejections and circuits.

    Queue depths are read from the broker at ``HUB_BROKER_URL``; with the embedded
    broker (no URL) they are left out rather than starting a Redis for a report.
    """
    settings = load_settings(data_dir)
    broker = None
    if settings.broker_url is not None:
        broker, _ = build_broker(settings.broker_url, data_dir=settings.data_dir)
    engine = make_engine(settings.effective_database_url)
    try:
        with make_session_factory(engine)() as session:
            overview = read_overview(
                session, now=utc_now(), broker=broker, worker_within_s=settings.worker_stale_s
            )
    finally:
        engine.dispose()
        if broker is not None:
            broker.close()
    for table in _tables(overview, broker_configured=broker is not None):
        console.print(table)


def _tables(overview: Overview, *, broker_configured: bool) -> list[Table]:
    deliveries = Table("partner", *DELIVERY_STATES, title="Deliveries by status")
    for partner in overview.partners:
        deliveries.add_row(
            partner.code, *(str(partner.by_status.get(s, 0)) for s in DELIVERY_STATES)
        )
    deliveries.add_row(
        "[bold]all[/bold]",
        *(str(overview.deliveries.by_status.get(s, 0)) for s in DELIVERY_STATES),
    )

    queues = Table("lane", "wakes", title="Queue depth (broker messages, each a partner's batch)")
    for lane, depth in overview.queue_depths.items():
        queues.add_row(lane, str(depth))
    if not broker_configured:
        queues.add_row("—", "embedded broker: not read")
    elif overview.queue_error is not None:
        queues.add_row("—", f"broker unreachable: {overview.queue_error}")

    latency = Table(
        "priority", "delivered", "p50", "p90", "p99", title="Latency accepted→delivered, 24 h"
    )
    for name, figures in (("all", overview.latency_all), ("urgent", overview.latency_urgent)):
        latency.add_row(name, str(figures.count), *_percentiles(figures))

    rejections = Table("code", "messages", title="Rejections by code")
    for code, count in overview.rejections.items():
        rejections.add_row(code, str(count))
    if not overview.rejections:
        rejections.add_row("—", "0")

    circuits = Table(
        "partner", "circuit", "failures in a row", "last success", "paused", "dead",
        title=f"Partners ({overview.workers_alive} worker(s) alive)",
    )  # fmt: skip
    for p in overview.partners:
        circuits.add_row(
            p.code,
            p.circuit_state,
            str(p.consecutive_failures),
            p.last_success_at.isoformat(timespec="seconds") if p.last_success_at else "—",
            "yes" if p.paused else "no",
            str(p.dead),
        )
    return [deliveries, queues, latency, rejections, circuits]


def _percentiles(figures: LatencyFigures) -> tuple[str, str, str]:
    def fmt(value: float | None) -> str:
        return "—" if value is None else f"{value / 1000:.2f} s"

    return fmt(figures.p50_ms), fmt(figures.p90_ms), fmt(figures.p99_ms)
