"""A school's exchange folder: where files wait, and how they are written and moved safely.

Layout, under the exchange root (one folder per school, named by its code)::

    <root>/<school>/inbox/      files the school drops for the hub
                    outbox/     files the hub writes for the school
                    processed/  inbox files the hub has taken
                    rejected/   inbox files refused, each beside <name>.errors.csv
                    archive/    outbox files the school has taken (its own business)

Writers never show a half-written file: they write ``.<name>.<random>.tmp`` in the target
folder, flush and fsync it, rename it to ``<name>`` (atomic within one file system) and fsync
the folder so the rename survives a power cut. Readers take only ``*.csv`` names and ignore
dot-files, ``*.tmp``/``*.part`` and Excel's ``~$`` lock files.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = [
    "SETTLE_S",
    "ExchangeFolder",
    "exchange_folder_of",
    "free_name",
    "is_exchange_file",
    "move_unique",
    "ready_files",
    "write_atomically",
]

#: How long an inbox file must be left unchanged before it is read, in seconds: a school
#: that writes in place (rather than renaming a finished file in) has finished by then.
SETTLE_S: Final = 2.0


@dataclass(frozen=True)
class ExchangeFolder:
    """The exchange folder of one school, ``<root>/<school>``."""

    path: Path

    @classmethod
    def of(cls, root: Path, school: str) -> ExchangeFolder:
        """The folder of ``school`` under the exchange root."""
        return cls(root / school)

    @property
    def school(self) -> str:
        """The school's code: the folder's name."""
        return self.path.name

    @property
    def inbox(self) -> Path:
        return self.path / "inbox"

    @property
    def outbox(self) -> Path:
        return self.path / "outbox"

    @property
    def processed(self) -> Path:
        return self.path / "processed"

    @property
    def rejected(self) -> Path:
        return self.path / "rejected"

    @property
    def archive(self) -> Path:
        return self.path / "archive"

    def create(self) -> ExchangeFolder:
        """Create the folder and its sub-folders (onboarding a school); return it."""
        for folder in (self.inbox, self.outbox, self.processed, self.rejected, self.archive):
            folder.mkdir(parents=True, exist_ok=True)
        return self


def exchange_folder_of(endpoint: str) -> tuple[ExchangeFolder, str]:
    """The folder and file encoding of endpoint ``file:///<root>/<school>[?encoding=cp1251]``
    (UTF-8 unless it says otherwise).

    Raises:
        ValueError: not a ``file:`` URL of an absolute path.
    """
    url = urlsplit(endpoint)
    path = Path(unquote(url.path))
    if url.scheme != "file" or url.netloc not in ("", "localhost") or not path.is_absolute():
        raise ValueError(f"expected file:///<root>/<school>, got {endpoint!r}")
    return ExchangeFolder(path), parse_qs(url.query).get("encoding", ["utf-8"])[-1]


def is_exchange_file(name: str) -> bool:
    """Whether ``name`` is a finished exchange file rather than one still being written."""
    return name.lower().endswith(".csv") and not name.startswith((".", "~$"))


def ready_files(folder: Path, *, settle_s: float = SETTLE_S) -> list[Path]:
    """The finished exchange files in ``folder``, oldest first (then by name).

    A file modified less than ``settle_s`` seconds ago is left for a later scan.
    """
    deadline = time.time() - settle_s
    found: list[tuple[float, str, Path]] = []
    for entry in os.scandir(folder):
        if not is_exchange_file(entry.name):
            continue
        try:
            stat = entry.stat(follow_symlinks=False)
        except FileNotFoundError:  # taken by someone else since scandir listed it
            continue
        if entry.is_file(follow_symlinks=False) and stat.st_mtime <= deadline:
            found.append((stat.st_mtime, entry.name, Path(entry.path)))
    return [path for _, _, path in sorted(found)]


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one.

    An existing file is replaced. On failure nothing is left behind but the old file.

    Raises:
        OSError: the folder is missing, not a folder, full or not writable.
    """
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with tmp.open("xb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_folder(path.parent)


def move_unique(source: Path, folder: Path) -> Path:
    """Move ``source`` into ``folder`` under its name, or ``<stem>.<n><suffix>`` if taken.

    One process moves files out of a given folder (the gateway of that school), so the
    check for a free name does not race. Returns the new path.

    Raises:
        OSError: the move failed; ``source`` is where it was.
    """
    target = free_name(folder, source.name)
    os.rename(source, target)
    _fsync_folder(folder)
    return target


def free_name(folder: Path, name: str) -> Path:
    """``folder / name``, or the first ``<stem>.<n><suffix>`` there that does not exist."""
    target = folder / name
    stem, suffix = os.path.splitext(name)
    n = 1
    while target.exists():
        target = folder / f"{stem}.{n}{suffix}"
        n += 1
    return target


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
