"""How the hub's outbound copies reach the police: they wait in its hub inbox (pull, SMEV-3 style).

The hub never pushes to the police system (its adapter has no push transport). The police
side polls ``GET /api/v1/inbox``, stores each verified message, then acks it; an unacked
message comes back after the hub's visibility timeout, so a crash between storing and
acking yields a redelivery that the store de-duplicates by MessageId.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from adapters.hub_client import HubClient, InboxItem

__all__ = ["INBOX_BATCH", "POLL_INTERVAL_S", "InboxPuller"]

_log = logging.getLogger(__name__)

#: How often the police system asks the hub for new messages, in seconds.
POLL_INTERVAL_S = 0.3
#: How many messages one poll takes at most.
INBOX_BATCH = 20


class InboxPuller:
    """Takes messages from the hub inbox, hands each to ``store`` and acks it once stored.

    ``store`` must be idempotent by MessageId and must accept items whose ``envelope`` is
    ``None`` (unverifiable: it records them, so they are acked and not polled forever).
    If ``store`` raises, the item is not acked and the hub delivers it again later.
    """

    def __init__(self, hub: HubClient, store: Callable[[InboxItem], None]) -> None:
        self._hub = hub
        self._store = store

    def pull_once(self) -> int:
        """One poll: store and ack what is waiting; return how many were acked.

        Raises:
            HubRefused: the hub refused the poll (e.g. a revoked API key).
            HubUnreachable: the hub is down; the next poll tries again.
        """
        acked = 0
        for item in self._hub.poll_inbox(INBOX_BATCH):
            try:
                self._store(item)
            except Exception:
                _log.exception("storing delivery %s failed; it will come back", item.delivery_id)
                continue
            self._hub.ack(item.delivery_id)
            acked += 1
        return acked
