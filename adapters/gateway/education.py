"""The school's native side of its gateway: CSV files in its exchange folder.

The school drops files into ``inbox/`` (UTF-8 or cp1251, the kinds of
``adapters.education.columns.INBOUND_KINDS``); the gateway watches the folder with the
adapter's own ``InboundGateway``: each finished file is translated row by row, every
message signed and spooled, and the file moved to ``processed/`` once the hub has all of
them, or to ``rejected/`` beside ``<name>.errors.csv`` naming each bad row, column and
reason (a hub refusal: its code). While the hub is unreachable the file stays in the inbox;
its messages wait in the spool with the MessageIds fixed by the file's content, and the file
is moved once they are sent. The folder is ``--system`` (``file:///<root>/<school>``), whose
``outbox/`` also receives the hub's messages (``EducationTransport``).
"""

from __future__ import annotations

from datetime import datetime

from lxml import etree

import schemas
from adapters.education.folders import exchange_folder_of
from adapters.education.gateway import InboundGateway
from adapters.gateway.intake import InputRefused, Intake
from adapters.gateway.spool import OutgoingState
from adapters.hub_client import Delivery, HubRefused, HubUnreachable, SendReceipt
from adapters.simulation import BackgroundLoop

__all__ = ["folder_watch"]


class _SpoolingSender:
    """``InboundGateway``'s hub, through the gateway's intake: signed, spooled, then sent."""

    def __init__(self, intake: Intake) -> None:
        self._intake = intake

    def send(self, envelope: etree._Element) -> SendReceipt:
        message_id = schemas.read_header(envelope).message_id
        try:
            entry = self._intake.submit(message_id, lambda _mid, _now: envelope).entry
        except InputRefused as exc:
            raise HubRefused(exc.code, 422, f"{exc.field}: {exc.reason}") from exc
        if entry.state is OutgoingState.REFUSED:
            raise HubRefused(entry.code or "hub.refused", 422, entry.detail or "")
        if entry.state is OutgoingState.WAITING:
            # The file stays in the inbox until its messages are sent from the spool.
            raise HubUnreachable(f"queued in the gateway as {entry.gateway_id}")
        return SendReceipt(
            message_id=entry.message_id,
            hub_id=entry.hub_id,
            deliveries=tuple(Delivery(r, "accepted") for r in entry.recipients),
            duplicate=entry.duplicate,
        )


def folder_watch(intake: Intake, system_url: str, interval_s: float) -> BackgroundLoop:
    """The loop that sends the school's inbox files, in the machine's local time zone (the
    school's: local times in its files are read in it).

    Raises:
        ValueError: ``system_url`` is not a ``file:`` URL of an absolute path.
    """
    folder, _encoding = exchange_folder_of(system_url)
    zone = datetime.now().astimezone().tzinfo
    assert zone is not None  # astimezone() always sets one
    watcher = InboundGateway(folder, _SpoolingSender(intake), zone=zone)
    return BackgroundLoop(f"{intake.code}-folder", watcher.scan_once, interval_s)
