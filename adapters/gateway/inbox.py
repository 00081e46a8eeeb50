"""Out: the hub's messages for this partner, pulled from its inbox and delivered into its system.

The hub keeps this partner's copies in its pull inbox (``hub partners add CODE --delivery
pull``). Each poll takes what waits; ``HubClient`` has verified each copy's signature against
the bundle's CA. Every copy goes into the partner system through the adapter's own transport
(the same native call the hub would make pushing), and is acked only after the system took
it, so a crash between the two means one more delivery that the system drops by MessageId.
A copy that does not verify, or that the system refuses for good, is recorded in the spool
and acked (retrying could not help and would block the inbox); a system that is down stops
the pass, and the hub offers the copy again after its lease.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from lxml import etree

import schemas
from adapters.base import OutboundMessage, PartnerRejected, PartnerUnavailable, Transport
from adapters.gateway.spool import IncomingState, Spool
from adapters.hub_client import HubClient, InboxItem

__all__ = ["INBOX_BATCH", "InboxRelay"]

_log = logging.getLogger(__name__)

#: How many messages one poll takes at most.
INBOX_BATCH = 20


class InboxRelay:
    """Polls the hub inbox and delivers each message with ``transport``; ``pull_once`` is the
    background loop's step."""

    def __init__(
        self,
        hub: HubClient,
        transport: Transport,
        spool: Spool,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._hub = hub
        self._transport = transport
        self._spool = spool
        self._clock = clock

    def pull_once(self) -> int:
        """One poll: deliver and ack what waits; return how many were acked.

        Raises:
            HubRefused: the hub refused the poll (e.g. a revoked API key).
            HubUnreachable: the hub is down; the next poll tries again.
        """
        acked = 0
        for item in self._hub.poll_inbox(INBOX_BATCH):
            state, detail = self._deliver(item)
            if state is None:
                break
            self._spool.record_incoming(
                item.delivery_id, item.message_id, item.message_type, state, detail,
                now=self._clock(),
            )  # fmt: skip
            self._hub.ack(item.delivery_id)
            acked += 1
        return acked

    def _deliver(self, item: InboxItem) -> tuple[IncomingState | None, str | None]:
        """Deliver one item; ``(None, …)`` when the system is down (do not ack)."""
        if item.envelope is None:
            _log.warning("delivery %s not verified: %s", item.delivery_id, item.problem)
            return IncomingState.REJECTED, item.problem
        header = schemas.read_header(item.envelope)
        message = OutboundMessage(
            delivery_id=item.delivery_id,
            recipient=self._hub.system_code,
            message_id=header.message_id,
            message_type=header.message_type,
            priority=header.priority,
            envelope=etree.tostring(item.envelope),
        )
        try:
            result = self._transport.deliver(message)
        except PartnerUnavailable as exc:
            _log.info("partner system unavailable: %s", exc)
            self._spool.note_error(f"partner system: {exc}", now=self._clock())
            return None, None
        except PartnerRejected as exc:
            _log.warning("partner system refused delivery %s: %s", item.delivery_id, exc)
            return IncomingState.REJECTED, str(exc)
        return IncomingState.DELIVERED, result.remote_reference
