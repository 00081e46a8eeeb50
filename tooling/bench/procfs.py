"""What the kernel says of a process: resident memory and CPU time, from ``/proc/<pid>``."""

import os
from pathlib import Path

__all__ = ["cpu_seconds", "rss_mb"]

#: Clock ticks a second, the unit of the CPU times in ``/proc/<pid>/stat``.
_TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    """The resident set of process ``pid`` (``VmRSS``), in MiB.

    Raises:
      ProcessLookupError: no such process (or it has no memory any more).
    """
    for line in _read(pid, "status").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise ProcessLookupError(pid)


def cpu_seconds(pid: int) -> float:
    """CPU time process ``pid`` has used so far, user and system, in seconds.

    Raises:
      ProcessLookupError: no such process.
    """
    # The command name (field 2) may hold spaces; the fields after it do not.
    fields = _read(pid, "stat").rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / _TICKS_PER_S


def _read(pid: int, name: str) -> str:
    try:
        return Path(f"/proc/{pid}/{name}").read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProcessLookupError(pid) from None
