"""Reading archived bodies back: the folder of archive files the hub is configured with.

The trace, the evidence export and ``hub cases rebuild`` ask the shelf for a message's
body: the log's own bytes while it is not archived, else the bytes in its archive file,
checked against the log's SHA-256 (the chain rests on it). When that cannot be done the
shelf says why in Russian, for the administrators' pages (``BodyArchived.reason``).
"""

import hashlib
import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Self

from hub.archive.bundle import body_entry
from hub.config import Settings
from hub.errors import BodyArchived
from hub.store import MessageLog

__all__ = ["ArchiveShelf", "Unseal", "open_archive"]

#: Opens a sealed archive file: its plain bytes (``hub.sealing`` with the archive key).
Unseal = Callable[[Path], bytes]


class ArchiveShelf:
    """The archive folder (None: not configured) and what opens sealed files in it."""

    def __init__(self, directory: Path | None, unseal: Unseal | None = None) -> None:
        self.directory = directory
        self._unseal = unseal

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        return cls(settings.archive_dir)

    def body_of(self, row: MessageLog) -> bytes:
        """The message's original bytes, from the log or from its archive file.

        Raises:
            BodyArchived: the archive is not configured, not there, sealed without a key,
                unreadable, or holds other bytes than the log's SHA-256 names.
        """
        name = row.archive_name
        if name is None:
            return row.raw
        moved = f"тело сообщения перенесено в архив {name}"
        if self.directory is None:
            raise BodyArchived(
                row.id, name, None, f"{moved}; каталог архивов не задан (HUB_ARCHIVE_DIR)"
            )
        where = str(self.directory)
        path = self.directory / name
        if not path.is_file():
            raise BodyArchived(row.id, name, where, f"{moved}; архив не найден в {where}")
        try:
            with open_archive(path, self._unseal) as archive:
                body = archive.read(body_entry(row.id))
        except (OSError, KeyError, zipfile.BadZipFile, ValueError) as exc:
            raise BodyArchived(
                row.id, name, where, f"{moved}; архив в {where} не читается: {exc}"
            ) from exc
        if hashlib.sha256(body).hexdigest() != row.sha256:
            raise BodyArchived(
                row.id,
                name,
                where,
                f"{moved}; тело в архиве не совпадает с журналом (SHA-256): архив изменён",
            )
        return body


def open_archive(path: Path, unseal: Unseal | None) -> zipfile.ZipFile:
    """The archive file at ``path`` as a zip, unsealed first when it is sealed.

    Raises:
        ValueError: a sealed file and no key to open it.
        OSError, zipfile.BadZipFile: not readable as an archive.
    """
    if not path.name.endswith(".sealed"):
        return zipfile.ZipFile(path)
    if unseal is None:
        raise ValueError("архив зашифрован, а ключ для него не задан (HUB_ARCHIVE_KEY)")
    stream: IO[bytes] = io.BytesIO(unseal(path))
    return zipfile.ZipFile(stream)
