"""Delivery of outbox rows: a durable queue (dramatiq) with priority lanes, retries and a sweeper.

The database is the source of truth; the broker only carries "partner P has due
rows in this lane", and a worker delivers them in batches. Build the broker with
``build_broker``, declare the actors with ``declare_actors``, wake a lane with
``DeliveryActors.wake``/``wake_for``; a worker process runs ``run_worker``.
"""

from queues.actors import DeliveryActors, declare_actors
from queues.broker import build_broker, build_middleware
from queues.context import DeliveryContext, utc_now
from queues.delivery import BatchReport, RetryPolicy, deliver_batch
from queues.embedded import EmbeddedRedis
from queues.errors import BrokerUrlUnsupported, EmbeddedRedisFailed, QueuesError, TransportMissing
from queues.lanes import LANE_PRIORITY, LANES, ROUTINE, URGENT, lane_for
from queues.settings import QueueSettings
from queues.sweeper import run_sweeper, wake_stuck_lanes
from queues.transports import PartnerTransports, TransportResolver
from queues.worker import run_worker

__all__ = [
    # Brokers
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
    "BatchReport",
    "DeliveryActors",
    "DeliveryContext",
    "PartnerTransports",
    "QueueSettings",
    "RetryPolicy",
    "TransportResolver",
    "declare_actors",
    "deliver_batch",
    "utc_now",
    # Sweeper and worker
    "run_sweeper",
    "wake_stuck_lanes",
    "run_worker",
    # Errors
    "BrokerUrlUnsupported",
    "EmbeddedRedisFailed",
    "QueuesError",
    "TransportMissing",
]
