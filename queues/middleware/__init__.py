"""dramatiq middleware of the delivery queues."""

from queues.middleware.dead_letter import OUTBOX_SESSIONS_OPTION, DeadLetter

__all__ = ["OUTBOX_SESSIONS_OPTION", "DeadLetter"]
