"""A tiny ``hub bench`` run: every figure written and consistent, and Ctrl-C leaves nothing.

The bench runs as the real command in a child process, with its temporary folder
pointed at the test's own, so what it leaves behind (processes, files, ./var) shows.
"""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from signing import DevPki
from signing.gost import GOST_256
from signing.policy import RSA_SHA256

#: Counts small enough for a run of about 20 s on two cores.
TINY = [
    "--messages", "20", "--concurrency", "4", "--backlog", "20", "--urgent", "3",
    "--seed-log", "200", "--bare-processes", "1", "--worker-threads", "4",
    "--database", "sqlite",
]  # fmt: skip
#: How long a tiny run, or the stop after Ctrl-C, may take, in seconds.
DEADLINE_S = 120


def _bench(arguments: list[str], cwd: Path, tmp: Path) -> "subprocess.Popen[bytes]":
    env = {**os.environ, "TMPDIR": str(tmp)}
    env.pop("HUB_DATA_DIR", None)
    return subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "bench", *arguments],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        # A suite started in the background by a shell without job control inherits SIGINT
        # ignored, and so would the bench: its Ctrl-C test would find it deaf to Ctrl-C.
        preexec_fn=_default_sigint,
    )


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    cwd, tmp = tmp_path / "cwd", tmp_path / "tmp"
    cwd.mkdir()
    tmp.mkdir()
    return cwd, tmp


def _end(bench: "subprocess.Popen[bytes]") -> None:
    """Kill ``bench`` if it still runs, reap it and close its pipe (also after a failure)."""
    if bench.poll() is None:
        bench.kill()
    bench.communicate()


def _figures_of_a_run(arguments: list[str], cwd: Path, tmp: Path) -> tuple[dict[str, Any], str]:
    """Run the bench to its end with ``--json out.json``; return what it wrote and printed."""
    bench = _bench([*arguments, "--json", "out.json"], cwd, tmp)
    try:
        output, _ = bench.communicate(timeout=DEADLINE_S)
    finally:
        _end(bench)
    assert bench.returncode == 0, output.decode()
    figures: dict[str, Any] = json.loads((cwd / "out.json").read_text())
    return figures, output.decode()


def test_a_tiny_run_writes_every_figure_consistently(folders: tuple[Path, Path]) -> None:
    cwd, tmp = folders
    figures, _ = _figures_of_a_run(TINY, cwd, tmp)

    stack = figures["stacks"]["sqlite"]
    assert (stack["sent"], stack["accepted"], stack["delivered"]) == (20, 20, 20)
    assert stack["refused"] == {}
    assert figures["hub_msgs_per_s"] == stack["hub_msgs_per_s"] > 0
    assert figures["bare_msgs_per_s"] > 0
    assert figures["bare_cpu_ms_per_msg"] > 0
    # Every role worked; the hub's figure is its processes' and its Redis's share, not the
    # posting clients' nor the recording partner's.
    by_role = stack["cpu_ms_by_role"]
    assert set(by_role) == {"api", "worker", "redis", "load", "partners"}
    # /proc counts CPU in 10-ms ticks: Redis's part of 20 messages (about 0.4 ms each) may
    # fall within one tick and read 0; the others' cannot.
    assert min(ms for role, ms in by_role.items() if role != "redis") > 0
    assert stack["cpu_ms_per_msg"] == pytest.approx(by_role["api"] + by_role["worker"], abs=0.02)
    hub_cpu = by_role["api"] + by_role["worker"] + by_role["redis"]
    assert stack["hub_cpu_ms_per_msg"] == pytest.approx(hub_cpu, abs=0.03)
    assert figures["cpu_ratio"] == stack["cpu_ratio"]
    assert figures["cpu_ratio"] == pytest.approx(
        figures["bare_cpu_ms_per_msg"] / stack["hub_cpu_ms_per_msg"], rel=0.01
    )
    assert figures["targets"]["cpu_ratio"] == 0.45
    # Figures are written rounded: the ratios agree with their parts to that rounding.
    assert figures["ratio"] == pytest.approx(
        figures["hub_msgs_per_s"] / figures["bare_msgs_per_s"], rel=0.01
    )
    small, large = figures["scale"]["small"], figures["scale"]["large"]
    assert small == stack
    assert (large["sent"], large["accepted"], large["delivered"]) == (20, 20, 20)
    # The warm-up's 20 messages exceed 1 % of --seed-log; the second figure is seeded to it.
    assert (small["log_before"], large["log_before"]) == (20, 200)
    assert figures["scale_ratio"] == pytest.approx(
        large["hub_msgs_per_s"] / small["hub_msgs_per_s"], rel=0.01
    )
    assert figures["urgent_backlog"] == 20
    assert figures["urgent_count"] >= 3
    assert 0 < figures["urgent_p50_ms"] <= figures["urgent_p99_ms"]
    rss = figures["worker_rss_mb"]
    assert rss["start"] > 0
    assert rss["after"] > 0
    assert rss["growth"] == pytest.approx(rss["after"] - rss["start"], abs=0.11)
    # Two copies of each message: both throughput rounds, the backlog and the urgent ones.
    assert rss["deliveries"] == 2 * (20 + 20 + 20 + figures["urgent_count"])
    assert figures["quick"] is False
    assert figures["crypto"] == "rsa"
    # Nothing left behind: the temporary data folder is gone and ./var never existed.
    assert list(tmp.iterdir()) == []
    assert sorted(p.name for p in cwd.iterdir()) == ["out.json"]


@pytest.mark.usefixtures("gost_engine")
def test_a_quick_gost_run_measures_a_hub_that_signs_and_verifies_gost(
    folders: tuple[Path, Path],
) -> None:
    cwd, tmp = folders
    # Given a kept data folder, to look at what the hub stored, and --quick's smaller
    # counts made smaller still (what is measured is the crypto, not the figures' spread)
    run = cwd / "run"
    arguments = [
        "--quick", "--messages", "100", "--backlog", "200", "--seed-log", "2000",
        "--crypto", "gost", "--database", "sqlite", "--data-dir", str(run),
    ]  # fmt: skip
    figures, output = _figures_of_a_run(arguments, cwd, tmp)

    # Then the figures name the crypto and hold the GOST pair rate beside the usual ones
    assert figures["crypto"] == figures["options"]["crypto"] == "gost"
    assert figures["quick"] is True
    assert figures["targets"]["gost_pairs_per_s"] == 200
    assert figures["pairs_per_s"] > 0
    assert 4_000 <= figures["pair_message_bytes"] <= 6_000
    assert figures["bare_msgs_per_s"] > 0
    assert figures["bare_cpu_ms_per_msg"] > 0
    stack = figures["stacks"]["sqlite"]
    assert (stack["sent"], stack["accepted"], stack["delivered"]) == (100, 100, 100)
    assert stack["refused"] == {}
    assert figures["hub_msgs_per_s"] == stack["hub_msgs_per_s"] > 0
    assert 0 < figures["urgent_p50_ms"] <= figures["urgent_p99_ms"]
    assert "gost sign+verify pairs per core" in " ".join(output.split())
    # And the hub it measured ran on GOST: a GOST CA, GOST messages in, GOST copies out
    assert DevPki(run / "sqlite" / "pki").crypto == "gost"
    with sqlite3.connect(run / "sqlite" / "hub.db") as database:
        received = [raw for (raw,) in database.execute("SELECT raw FROM message_log")]
        sent = [copy for (copy,) in database.execute("SELECT payload FROM outbox_delivery")]
    assert len(received) >= 100
    assert len(sent) == 2 * len(received)
    for signed in received + sent:
        assert GOST_256.signature_method.encode() in signed
        assert RSA_SHA256.encode() not in signed


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_or_sigterm_stops_every_process_the_bench_started(
    folders: tuple[Path, Path], signum: signal.Signals
) -> None:
    # SIGTERM too: Python's default ends the process at once, which left the hub's
    # processes and Redis running when a bench was stopped with kill (seen 8 December).
    cwd, tmp = folders
    bench = _bench([*TINY, "--messages", "2000"], cwd, tmp)
    try:
        # Interrupted mid-run: the hub's processes and the bare pipeline's all running.
        bare = _wait_for(bench.pid, b"multiprocessing.spawn")
        children = _descendants(bench.pid)
        assert bare in children
        assert {b"worker", b"serve", b"tooling.rig.receiver"} <= {
            word for child in children for word in _cmdline(child).split(b"\0")
        }
        bench.send_signal(signum)
        bench.communicate(timeout=DEADLINE_S)
    finally:
        _end(bench)
    survivors = _still_running(children, within_s=20)
    assert survivors == []
    assert bench.returncode != 0
    assert list(tmp.iterdir()) == []


def _wait_for(pid: int, command: bytes) -> int:
    """The pid of the first process under ``pid`` whose command line holds ``command``."""
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        for child in _descendants(pid):
            if command in _cmdline(child):
                return child
        time.sleep(0.1)
    raise TimeoutError(f"the bench started no {command.decode()}")


def _descendants(pid: int) -> set[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _still_running(pids: set[int], *, within_s: float) -> list[int]:
    """The pids still alive (not gone, not a zombie) after up to ``within_s`` seconds."""
    deadline = time.monotonic() + within_s
    while True:
        alive = sorted(pid for pid in pids if _alive(pid))
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.2)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
