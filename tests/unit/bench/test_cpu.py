"""CpuSampler: each role's CPU time over a window, from first reading to last, including
processes that start or end inside it."""

import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from tests.unit.bench.cpu_ticks import BURN_S, SHORT_S, TICK_S
from tooling.bench.cpu import CpuSampler, Reading, process_trees
from tooling.bench.procfs import cpu_seconds

#: Burns BURN_S more CPU seconds for each line it reads, then answers; ends at stdin's end.
_BURNS_ON_REQUEST = f"""
import sys, time
for _ in sys.stdin:
    target = time.process_time() + {BURN_S}
    while time.process_time() < target:
        pass
    print("done", flush=True)
"""


@pytest.fixture
def burner() -> Iterator["subprocess.Popen[str]"]:
    process = subprocess.Popen(
        [sys.executable, "-c", _BURNS_ON_REQUEST],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    yield process
    process.communicate()


def _burn(process: "subprocess.Popen[str]") -> None:
    assert process.stdin is not None
    assert process.stdout is not None
    process.stdin.write("burn\n")
    process.stdin.flush()
    assert process.stdout.readline() == "done\n"


def test_a_role_counts_only_the_cpu_its_processes_used_inside_the_window(
    burner: "subprocess.Popen[str]",
) -> None:
    # Given a process that has already used CPU before the window opens
    _burn(burner)
    before = cpu_seconds(burner.pid)
    assert before >= BURN_S - SHORT_S
    # When it burns once more inside the window
    with CpuSampler({"busy": process_trees([burner.pid])}) as sampler:
        _burn(burner)
    # Then the role has the second burn only, as /proc says
    busy = sampler.seconds_by_role()["busy"]
    assert busy >= BURN_S - SHORT_S
    assert busy == pytest.approx(cpu_seconds(burner.pid) - before, abs=TICK_S)


def test_a_process_that_ends_inside_the_window_counts_up_to_its_last_reading() -> None:
    # Given a role whose readings show pid 2 starting, working, then gone (as a
    # PostgreSQL backend does when a pool closes an overflow connection)
    read = _Readings([{1: 5.0}, {1: 6.0, 2: 1.0}, {1: 6.5, 2: 1.5}, {1: 7.0}])
    # When the sampler reads them all in the window
    with CpuSampler({"server": read}, interval_s=0.001) as sampler:
        assert read.exhausted.wait(timeout=60)
    # Then pid 1 counts from its first reading, pid 2 from zero (it started inside)
    # up to its last reading
    assert sampler.seconds_by_role() == {"server": pytest.approx(2.0 + 1.5)}


def test_roles_keep_the_order_they_were_given_in() -> None:
    roles: dict[str, Reading] = {name: _Readings([{}]) for name in ("api", "worker", "redis")}
    with CpuSampler(roles) as sampler:
        pass
    assert list(sampler.seconds_by_role()) == ["api", "worker", "redis"]


class _Readings:
    """A reading that gives each of ``steps`` in turn, then the last one again; sets
    ``exhausted`` once it has given the last."""

    def __init__(self, steps: list[dict[int, float]]) -> None:
        self._steps = steps
        self._given = 0
        self.exhausted = threading.Event()

    def __call__(self) -> dict[int, float]:
        step = self._steps[min(self._given, len(self._steps) - 1)]
        self._given += 1
        if self._given >= len(self._steps):
            self.exhausted.set()
        return dict(step)
