"""Delivery to a school: the message as a CSV file written atomically into its ``outbox/``.

The endpoint is the school's exchange folder, ``file:///<root>/<school>`` (optionally
``?encoding=cp1251`` for a school system that reads only Windows-1251; UTF-8 with a BOM
otherwise). The file is ``outbox/<kind>_<MessageId>.csv``: a redelivery of one message
rewrites the same file, never a second one. The outbox must exist: if the share is not
mounted the transport must not create folders on the local disk in its place.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import schemas
from adapters.base import DeliveryResult, OutboundMessage, PartnerRejected, PartnerUnavailable
from adapters.education import csvfile
from adapters.education.folders import ExchangeFolder, exchange_folder_of, write_atomically
from adapters.education.translate import from_canonical
from schemas import TranslationError

__all__ = ["EducationTransport", "map_transport_errors"]


class EducationTransport:
    """Writes outbound copies into one school's exchange folder.

    Parameters:
        folder: the school's exchange folder.
        encoding: ``utf-8`` (written with a BOM) or ``cp1251``.
    """

    def __init__(self, folder: ExchangeFolder, *, encoding: str = "utf-8") -> None:
        if encoding not in csvfile.ENCODINGS:
            raise ValueError(f"encoding must be one of {csvfile.ENCODINGS}, not {encoding!r}")
        self._folder = folder
        self._encoding = encoding

    @classmethod
    def connect(cls, endpoint: str, timeout_s: float) -> EducationTransport:
        """The transport of endpoint ``file:///<root>/<school>[?encoding=cp1251]``.

        ``timeout_s`` does not apply: a local write cannot be abandoned half way.

        Raises:
            ValueError: not a ``file:`` URL of an absolute path, or an unknown encoding.
        """
        folder, encoding = exchange_folder_of(endpoint)
        return cls(folder, encoding=encoding)

    def deliver(self, message: OutboundMessage) -> DeliveryResult:
        """Write the message's file into the school's outbox, replacing an earlier copy.

        Raises:
            PartnerUnavailable: the folder is missing, not a folder, full or not writable.
            PartnerRejected: a message type schools do not exchange, or text the school's
                encoding cannot carry.
        """
        try:
            # The recipient is the school: a plan's file holds only the actions named for it.
            file_name, rows = from_canonical(
                schemas.parse_xml(message.envelope), school=message.recipient
            )
        except (TranslationError, schemas.SchemaError) as exc:
            raise PartnerRejected(f"{message.message_id}: no school file for it: {exc}") from exc
        try:
            data = csvfile.encode(csvfile.render(rows), self._encoding)
        except UnicodeEncodeError as exc:
            raise PartnerRejected(
                f"{message.message_id}: a character at {exc.start} is not in {self._encoding}"
            ) from exc
        with map_transport_errors():
            write_atomically(self._folder.outbox / file_name, data)
        return DeliveryResult(remote_reference=f"outbox/{file_name}")

    def close(self) -> None:
        """Nothing to release: every delivery opens and closes its own file."""


@contextmanager
def map_transport_errors() -> Iterator[None]:
    """Translate file system errors into ``PartnerUnavailable``, ``from`` them.

    Every ``OSError`` (no space, no permission, a missing share, a file where the outbox
    should be) may clear once an administrator acts, so the delivery is retried.
    """
    try:
        yield
    except OSError as exc:
        # The system's wording ("No space left on device") tells an operator what to fix;
        # it names no file, so no school or pupil detail reaches the logs.
        reason = os.strerror(exc.errno) if exc.errno is not None else "unknown error"
        raise PartnerUnavailable(
            f"school folder not writable: {reason} ({type(exc).__name__}, errno {exc.errno})"
        ) from exc
