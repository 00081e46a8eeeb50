"""A cheap look at whether files changed, for material a running process must follow.

The trust store follows its CRL (a revocation) and the hub's signer follows its key and
certificate (a key rotation) this way: a ``stat`` of each file, no more often than every
``recheck_s`` seconds, compared with the versions last read.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path

__all__ = ["FileVersions", "FileWatch"]

#: (mtime in ns, size) of each watched file, None for a missing one.
FileVersions = tuple[tuple[int, int] | None, ...]


class FileWatch:
    """Tells whether ``paths`` changed since they were last read; safe to share between threads.

    The first ``poll`` always reports a change, so that whatever the caller read before
    building the watch is re-read once (closing the gap between the two).
    """

    def __init__(self, paths: Sequence[Path], *, recheck_s: float) -> None:
        self._paths = tuple(paths)
        self._recheck_s = recheck_s
        self._lock = threading.Lock()
        self._next_look = 0.0
        self._read: FileVersions | None = None

    def poll(self) -> FileVersions | None:
        """The files' current versions if it is time to look and they changed; else None.

        Call ``mark_read`` with them once the files were read successfully; until then,
        every look reports them again.
        """
        now = time.monotonic()
        with self._lock:
            if now < self._next_look:
                return None
            self._next_look = now + self._recheck_s
            read = self._read
        versions = tuple(_file_version(path) for path in self._paths)
        return None if versions == read else versions

    def mark_read(self, versions: FileVersions) -> None:
        """Record that the files were read as they were at ``versions`` (from ``poll``)."""
        with self._lock:
            self._read = versions


def _file_version(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_mtime_ns, stat.st_size
