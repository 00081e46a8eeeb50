"""What the kernel says of a process: resident memory, CPU time, children and command
line, from ``/proc/<pid>``."""

import os
from pathlib import Path

__all__ = ["child_pids", "command_line", "cpu_seconds", "parent_pid", "rss_mb", "tree_cpu_seconds"]

#: Clock ticks a second, the unit of the CPU times in ``/proc/<pid>/stat``.
_TICKS_PER_S = os.sysconf("SC_CLK_TCK")
#: Where ``utime``, ``stime``, ``cutime`` and ``cstime`` sit among the fields after the
#: command name (``man 5 proc``: fields 14–17, counted from the pid as 1).
_UTIME, _STIME, _CUTIME, _CSTIME = 11, 12, 13, 14
_PPID = 1


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
    fields = _stat_fields(pid)
    return (int(fields[_UTIME]) + int(fields[_STIME])) / _TICKS_PER_S


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of ``pid`` and every process it started, in seconds: its own, that of
    its children it has reaped (``cutime``/``cstime``, which the kernel adds when the
    parent waits for them) and that of its live descendants, each counted the same way.

    A descendant that ends between two calls moves from the last term to its parent's
    reaped time once the parent waits for it, so the sum does not lose it.

    Raises:
      ProcessLookupError: no such process ``pid`` (a descendant that ends meanwhile is
        left out).
    """
    fields = _stat_fields(pid)
    total = sum(int(fields[index]) for index in (_UTIME, _STIME, _CUTIME, _CSTIME))
    seconds = total / _TICKS_PER_S
    for child in child_pids(pid):
        try:
            seconds += tree_cpu_seconds(child)
        except ProcessLookupError:
            continue  # ended since its parent listed it
    return seconds


def child_pids(pid: int) -> list[int]:
    """The live children of ``pid``, started by any of its threads.

    Raises:
      ProcessLookupError: no such process.
    """
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except FileNotFoundError:
        raise ProcessLookupError(pid) from None
    children: list[int] = []
    for task in tasks:
        try:
            children += [int(child) for child in (task / "children").read_text().split()]
        except FileNotFoundError:
            continue  # the thread ended since the folder was listed
    return children


def parent_pid(pid: int) -> int:
    """The pid of ``pid``'s parent.

    Raises:
      ProcessLookupError: no such process.
    """
    return int(_stat_fields(pid)[_PPID])


def command_line(pid: int) -> str:
    """The command line of ``pid``, its arguments joined by spaces (a server that sets its
    process title, as PostgreSQL does, shows that title).

    Raises:
      ProcessLookupError: no such process.
    """
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        raise ProcessLookupError(pid) from None
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()


def _stat_fields(pid: int) -> list[str]:
    """The fields of ``/proc/<pid>/stat`` after the command name, the state first."""
    # The command name (field 2) may hold spaces; the fields after it do not.
    return _read(pid, "stat").rsplit(")", 1)[1].split()


def _read(pid: int, name: str) -> str:
    try:
        return Path(f"/proc/{pid}/{name}").read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProcessLookupError(pid) from None
