"""Keeps each outbox row in step with dramatiq's verdict on its message.

dramatiq keeps failed messages in Redis for seven days only
(``DEFAULT_DEAD_MESSAGE_TTL``); the hub's dead-letter record is the outbox row,
which ``hub dlq`` lists and replays. This middleware writes dramatiq's two decisions
there:

- a retry is scheduled (``Retries`` re-enqueues the message with a delay): the
  row's ``next_attempt_at`` becomes the message's ``eta``, so the backoff is
  computed once, by dramatiq, and the database shows what it chose;
- the message failed for good (retries exhausted, or a ``throws`` exception such as
  ``PartnerRejected``): the row becomes ``dead`` — if its attempts at the partner are
  spent too (``max_retries + 1`` claims). dramatiq counts every failure, also those
  before the claim while the database is down or restarting; a row they ended was never
  tried that often, so it stays ``retrying``/``pending`` and the sweeper sends it again.

It acts on the messages of actors declared with the ``outbox_sessions`` option
(the session factory of the outbox's database); other actors are left alone.
Both writes are idempotent, and ``deliver_once`` has usually written the outcome
already; the middleware covers what it could not see (a time limit, a failure while
recording). A write that fails is logged, not raised: the sweeper finds the row.
"""

import logging
from datetime import UTC, datetime
from typing import Any

from dramatiq import Broker, Message, Middleware
from dramatiq.broker import MessageProxy
from dramatiq.errors import ActorNotFound
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from hub.store import mark_dead, schedule_retry

__all__ = ["OUTBOX_SESSIONS_OPTION", "DeadLetter"]

#: Actor option naming the ``sessionmaker`` of the outbox a delivery actor works on.
OUTBOX_SESSIONS_OPTION = "outbox_sessions"

_log = logging.getLogger(__name__)


class DeadLetter(Middleware):
    """Mirrors dramatiq's retry schedule and final failures onto the outbox rows."""

    @property
    def actor_options(self) -> set[str]:
        return {OUTBOX_SESSIONS_OPTION}

    def after_enqueue(self, broker: Broker, message: Message[Any], delay: int | None) -> None:
        eta_ms = message.options.get("eta")
        # Only Retries enqueues a delivery with a delay; first sends and the sweeper's don't.
        if delay is None or eta_ms is None:
            return
        target = _outbox_row(broker, message)
        if target is None:
            return
        sessions, delivery_id = target
        due = datetime.fromtimestamp(eta_ms / 1000, UTC)
        try:
            with sessions.begin() as session:
                schedule_retry(session, delivery_id, next_attempt_at=due)
        except SQLAlchemyError:
            _log.exception("could not record the retry time of delivery %d", delivery_id)

    def after_nack(self, broker: Broker, message: MessageProxy) -> None:
        target = _outbox_row(broker, message)
        if target is None:
            return
        sessions, delivery_id = target
        retries = message.options.get("retries", 0)
        attempts = broker.get_actor(message.actor_name).options.get("max_retries", 0) + 1
        try:
            with sessions.begin() as session:
                dead = mark_dead(
                    session,
                    delivery_id,
                    error=f"broker gave up after {retries} retries",
                    min_attempts=attempts,
                )
        except SQLAlchemyError:
            _log.exception("could not mark delivery %d dead", delivery_id)
            return
        if not dead:
            _log.info(
                "broker gave up on delivery %d and left it as it is: final already, or its "
                "attempts are not spent and the sweeper sends it again",
                delivery_id,
                extra={"delivery_id": delivery_id},
            )


def _outbox_row(
    broker: Broker, message: Message[Any] | MessageProxy
) -> tuple[sessionmaker[Session], int] | None:
    """The outbox and row id a delivery message is about; ``None`` for other messages."""
    try:
        actor = broker.get_actor(message.actor_name)
    except ActorNotFound:
        return None
    sessions = actor.options.get(OUTBOX_SESSIONS_OPTION)
    if not isinstance(sessions, sessionmaker) or len(message.args) != 1:
        return None
    delivery_id = message.args[0]
    return (sessions, delivery_id) if isinstance(delivery_id, int) else None
