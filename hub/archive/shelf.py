"""Reading archived bodies back: the folder of archive files the hub is configured with.

The trace, the evidence export and ``hub cases rebuild`` ask the shelf for a message's
body: the log's own bytes while it is not archived, else the bytes in its archive file,
checked against the log's SHA-256 (the chain rests on it). When that cannot be done the
shelf says why in Russian, for the administrators' pages (``BodyArchived.reason``).
"""

import hashlib
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Self

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from hub.archive.bundle import body_entry
from hub.config import Settings
from hub.errors import BodyArchived
from hub.sealing import PrivateKey, SealingError, unseal
from hub.store import MessageLog

__all__ = ["ArchiveShelf", "load_archive_key", "open_archive"]


class ArchiveShelf:
    """The archive folder (None: not configured) and the key that opens sealed files in it."""

    def __init__(self, directory: Path | None, key: PrivateKey | None = None) -> None:
        self.directory = directory
        self._key = key

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        """``HUB_ARCHIVE_DIR`` and ``HUB_ARCHIVE_KEY``.

        Raises:
            OSError, ValueError: as ``load_archive_key``.
        """
        key = load_archive_key(settings.archive_key) if settings.archive_key else None
        return cls(settings.archive_dir, key)

    def body_of(self, row: MessageLog) -> bytes:
        """The message's original bytes, from the log or from its archive file.

        Raises:
            BodyArchived: the archive is not configured, not there, sealed without a key,
                unreadable, or holds other bytes than the log's SHA-256 names.
        """
        with self.reading() as read:
            return read(row)

    @contextmanager
    def reading(self) -> Iterator[Callable[[MessageLog], bytes]]:
        """``body_of`` that keeps the last archive it opened open until the block ends, so
        a replay in log order opens (and unseals) each archive once."""
        with ExitStack() as stack:
            opened: dict[str, zipfile.ZipFile] = {}

            def read(row: MessageLog) -> bytes:
                name = row.archive_name
                if name is None:
                    return row.raw
                if name not in opened:
                    stack.close()  # the previous archive: a replay has moved past it
                    opened.clear()
                    opened[name] = self._open(stack, row.id, name)
                return self._checked_body(row, name, opened[name])

            yield read

    def _open(self, stack: ExitStack, hub_id: int, name: str) -> zipfile.ZipFile:
        """Archive ``name``, open until ``stack`` closes."""
        if self.directory is None:
            raise BodyArchived(
                hub_id, name, None, f"{_moved(name)}; каталог архивов не задан (HUB_ARCHIVE_DIR)"
            )
        where = str(self.directory)
        path = self.directory / name
        if not path.is_file():
            raise BodyArchived(hub_id, name, where, f"{_moved(name)}; архив не найден в {where}")
        try:
            return stack.enter_context(open_archive(path, self._key))
        except (OSError, zipfile.BadZipFile, ValueError, SealingError) as exc:
            raise BodyArchived(
                hub_id, name, where, f"{_moved(name)}; архив в {where} не читается: {exc}"
            ) from exc

    def _checked_body(self, row: MessageLog, name: str, archive: zipfile.ZipFile) -> bytes:
        where = str(self.directory)
        try:
            body = archive.read(body_entry(row.id))
        except KeyError as exc:
            raise BodyArchived(
                row.id, name, where, f"{_moved(name)}; в архиве нет этого сообщения"
            ) from exc
        if hashlib.sha256(body).hexdigest() != row.sha256:
            raise BodyArchived(
                row.id,
                name,
                where,
                f"{_moved(name)}; тело в архиве не совпадает с журналом (SHA-256): архив изменён",
            )
        return body


def _moved(name: str) -> str:
    return f"тело сообщения перенесено в архив {name}"


@contextmanager
def open_archive(path: Path, key: PrivateKey | None) -> Iterator[zipfile.ZipFile]:
    """The archive file at ``path`` as a zip, unsealed first (into a temporary file that is
    gone afterwards) when it is sealed.

    Raises:
        ValueError: a sealed file and no key to open it.
        SealingError: the key does not open it, or it was altered.
        OSError, zipfile.BadZipFile: not readable as an archive.
    """
    if not path.name.endswith(".sealed"):
        with zipfile.ZipFile(path) as archive:
            yield archive
        return
    if key is None:
        raise ValueError("архив зашифрован, а ключ для него не задан (HUB_ARCHIVE_KEY)")
    with tempfile.TemporaryFile() as plain:
        with path.open("rb") as sealed:
            unseal(sealed, plain, key)
        plain.seek(0)
        with zipfile.ZipFile(plain) as archive:
            yield archive


def load_archive_key(path: Path) -> PrivateKey:
    """The private key (unencrypted PEM) that opens sealed archives.

    Raises:
        OSError: the file cannot be read.
        ValueError: not a PEM private key, or not RSA or EC.
    """
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise ValueError(f"{path}: an archive key must be RSA or EC")
    return key
