"""Delivery of outbox rows: a durable queue (dramatiq) with priority lanes, retries and a sweeper.

The database is the source of truth; the broker only carries "deliver outbox row N".
Build the broker with ``build_broker``, declare the actors with ``declare_actors``,
send with ``DeliveryActors.enqueue``; a worker process runs ``run_worker``.
"""

from queues.actors import DeliveryActors, declare_actors
from queues.broker import build_broker, build_middleware
from queues.context import DeliveryContext, utc_now
from queues.delivery import Outcome, deliver_once
from queues.embedded import EmbeddedRedis
from queues.errors import BrokerUrlUnsupported, EmbeddedRedisFailed, QueuesError, TransportMissing
from queues.lanes import LANE_PRIORITY, LANES, ROUTINE, URGENT, lane_for
from queues.middleware import DeadLetter
from queues.settings import QueueSettings
from queues.sweeper import SWEEP_BATCH, requeue_stuck_deliveries, run_sweeper
from queues.transports import PartnerTransports, TransportResolver
from queues.worker import run_worker

__all__ = [
    # Brokers
    "DeadLetter",
    "EmbeddedRedis",
    "build_broker",
    "build_middleware",
    # Lanes
    "LANES",
    "LANE_PRIORITY",
    "ROUTINE",
    "URGENT",
    "lane_for",
    # Actors and delivery
    "DeliveryActors",
    "DeliveryContext",
    "Outcome",
    "PartnerTransports",
    "QueueSettings",
    "TransportResolver",
    "declare_actors",
    "deliver_once",
    "utc_now",
    # Sweeper and worker
    "SWEEP_BATCH",
    "requeue_stuck_deliveries",
    "run_sweeper",
    "run_worker",
    # Errors
    "BrokerUrlUnsupported",
    "EmbeddedRedisFailed",
    "QueuesError",
    "TransportMissing",
]
