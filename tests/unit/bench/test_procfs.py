"""procfs: a process's CPU time, its children's and its tree's, read from real processes."""

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.unit.bench.cpu_ticks import BURN_S, SHORT_S, TICK_S
from tooling.bench.procfs import (
    child_pids,
    command_line,
    cpu_seconds,
    parent_pid,
    tree_cpu_seconds,
)

_BURN = f"import time\nwhile time.process_time() < {BURN_S}:\n    pass\n"
#: A parent that runs a busy child to its end (and reaps it), then waits for stdin's end.
_REAPS_A_BUSY_CHILD = f"""
import subprocess, sys
subprocess.run([sys.executable, "-c", {_BURN!r}], check=True)
print("ready", flush=True)
sys.stdin.read()
"""
_BURN_THEN_WAIT = _BURN + "import sys\nprint('ready', flush=True)\nsys.stdin.read()\n"
#: A parent whose busy child burns, then stays alive until stdin (which both share) ends.
_KEEPS_A_BUSY_CHILD = f"""
import subprocess, sys
child = subprocess.Popen([sys.executable, "-c", {_BURN_THEN_WAIT!r}], stdout=subprocess.PIPE)
child.stdout.readline()
print(child.pid, flush=True)
sys.stdin.read()
child.wait()
child.stdout.close()
"""


@contextmanager
def _running(code: str) -> Iterator[tuple["subprocess.Popen[str]", str]]:
    """A Python process running ``code``, and the first line it prints; it ends (with any
    child sharing its stdin) when the block does."""
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        yield process, process.stdout.readline().strip()
    finally:
        process.communicate()


def test_a_reaped_childs_cpu_counts_in_its_parents_tree() -> None:
    with _running(_REAPS_A_BUSY_CHILD) as (parent, ready):
        assert ready == "ready"
        # The child is gone: only the parent's reaped-children time holds its work.
        assert child_pids(parent.pid) == []
        assert tree_cpu_seconds(parent.pid) - cpu_seconds(parent.pid) >= BURN_S - SHORT_S


def test_a_live_childs_cpu_counts_in_its_parents_tree() -> None:
    with _running(_KEEPS_A_BUSY_CHILD) as (parent, child):
        assert child_pids(parent.pid) == [int(child)]
        assert parent_pid(int(child)) == parent.pid
        assert cpu_seconds(int(child)) >= BURN_S - SHORT_S
        # The parent's tree is its own time and its live child's.
        own = cpu_seconds(parent.pid)
        assert tree_cpu_seconds(parent.pid) - own >= BURN_S - SHORT_S
        assert tree_cpu_seconds(int(child)) == pytest.approx(cpu_seconds(int(child)), abs=TICK_S)


def test_the_command_line_has_the_arguments_joined() -> None:
    with _running("import sys\nprint('ready', flush=True)\nsys.stdin.read()") as (process, _):
        assert command_line(process.pid).startswith(f"{sys.executable} -c import sys")


def test_an_ended_process_is_not_found() -> None:
    with _running("print('bye')") as (process, _):
        pass
    for read in (cpu_seconds, tree_cpu_seconds, child_pids, parent_pid, command_line):
        with pytest.raises(ProcessLookupError):
            read(process.pid)
