"""BenchFigures: the hub's CPU per message counts its processes and servers, not the
bench's clients nor the partners; cpu_ratio and its target reach the JSON and the table."""

import json
from pathlib import Path

import pytest
from rich.console import Console

from tooling.bench import BenchFigures, StackFigures

#: CPU ms per message by role, as a PostgreSQL run reports them.
POSTGRES_ROLES = {
    "api": 4.0,
    "worker": 3.0,
    "redis": 0.5,
    "postgresql": 2.5,
    "load": 2.0,
    "partners": 1.0,
}


def _stack(stack: str, cpu_ms_by_role: dict[str, float], *, seconds: float = 10.0) -> StackFigures:
    return StackFigures(
        stack=stack,
        sent=1000,
        accepted=1000,
        delivered=1000,
        seconds=seconds,
        log_before=100,
        cpu_ms_by_role=cpu_ms_by_role,
    )


def _figures(*stacks: StackFigures) -> BenchFigures:
    return BenchFigures(
        quick=True,
        crypto="rsa",
        machine="2 cores",
        cores=2,
        options={},
        bare_msgs_per_s=500.0,
        bare_cpu_ms_per_msg=2.5,
        pairs_per_s=400.0,
        pair_message_bytes=5000,
        stacks=stacks,
        urgent_p50_ms=80.0,
        urgent_p99_ms=300.0,
        urgent_count=10,
        urgent_backlog=200,
        scale_small=stacks[0],
        scale_large=_stack(stacks[0].stack, stacks[0].cpu_ms_by_role, seconds=12.5),
        worker_rss_start_mb=160.0,
        worker_rss_after_mb=165.0,
        worker_deliveries=800,
    )


def test_the_hubs_cpu_counts_its_processes_and_servers_not_the_load_nor_the_partners() -> None:
    stack = _stack("postgresql", POSTGRES_ROLES)
    assert stack.hub_cpu_ms_per_msg == pytest.approx(4.0 + 3.0 + 0.5 + 2.5)
    # The figure of the runs before issue 20 stays the API's and the workers' alone.
    assert stack.cpu_ms_per_msg == pytest.approx(7.0)
    assert stack.cpu_ratio(2.5) == pytest.approx(0.25)


def test_the_json_carries_cpu_ratio_beside_ratio_and_every_role(tmp_path: Path) -> None:
    # Given an embedded stack first (no PostgreSQL) and a PostgreSQL one
    embedded = {role: ms for role, ms in POSTGRES_ROLES.items() if role != "postgresql"}
    figures = _figures(_stack("sqlite", embedded), _stack("postgresql", POSTGRES_ROLES))
    # When they are written as --json writes them
    figures.write_json(tmp_path / "out.json")
    written = json.loads((tmp_path / "out.json").read_text())
    # Then the issue's four figures are at the top level, cpu_ratio from the first stack
    assert written["cpu_ratio"] == round(2.5 / 7.5, 3)
    assert written["ratio"] == round(100.0 / 500.0, 3)
    assert written["urgent_p99_ms"] == 300.0
    assert written["scale_ratio"] == round(80.0 / 100.0, 3)
    assert written["targets"]["cpu_ratio"] == 0.45
    # And each stack has its own ratio, its whole CPU and every role it measured
    postgres = written["stacks"]["postgresql"]
    assert postgres["cpu_ratio"] == round(2.5 / 10.0, 3)
    assert postgres["hub_cpu_ms_per_msg"] == 10.0
    assert postgres["cpu_ms_per_msg"] == 7.0
    assert postgres["cpu_ms_by_role"] == POSTGRES_ROLES
    assert set(written["stacks"]["sqlite"]["cpu_ms_by_role"]) == set(embedded)


def _table_lines(figures: BenchFigures) -> list[str]:
    """The figures' table as the terminal shows it, wide enough that no row wraps."""
    console = Console(width=400, record=True)
    console.print(figures.table())
    return console.export_text().splitlines()


def test_the_table_checks_cpu_ratio_against_its_target() -> None:
    lines = _table_lines(_figures(_stack("postgresql", POSTGRES_ROLES)))
    row = next(line for line in lines if "cpu_ratio (bare CPU per message" in line)
    assert "0.25" in row
    assert "≥ 0.45 not met" in row
    stack = next(line for line in lines if "hub, postgresql" in line)
    assert "10.0 ms CPU each: api 4.0, worker 3.0, redis 0.5, postgresql 2.5" in stack
    assert "apart: load 2.0, partners 1.0" in stack


def test_the_table_checks_issue_20s_throughput_and_cpu_targets() -> None:
    # Given a first stack at 100 msg/s and 10 ms of the hub's CPU per message
    lines = _table_lines(_figures(_stack("postgresql", POSTGRES_ROLES)))
    # Then both rows name issue 20's targets, not met
    throughput = next(line for line in lines if "hub msg/s (postgresql)" in line)
    assert "≥ 250 not met" in throughput
    cpu = next(line for line in lines if "hub CPU per message (postgresql)" in line)
    assert "10.0 ms" in cpu
    assert "< 6 ms not met" in cpu
    ratio = next(line for line in lines if line.startswith("│ ratio "))
    assert "≥ 0.25" in ratio
