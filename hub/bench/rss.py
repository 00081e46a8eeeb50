"""Resident memory of a process, as the kernel counts it (``VmRSS`` in ``/proc/<pid>/status``)."""

from pathlib import Path

__all__ = ["rss_mb"]


def rss_mb(pid: int) -> float:
    """The resident set of process ``pid``, in MiB.

    Raises:
      ProcessLookupError: no such process (or it has no memory any more).
    """
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except FileNotFoundError:
        raise ProcessLookupError(pid) from None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise ProcessLookupError(pid)
