"""Prometheus metrics, read from the figures at scrape time.

``HubCollector`` holds no counters of its own: each scrape reads the database
(and the broker, for queue depth) through ``hub.observability.figures``, so every
API process answers with the same numbers whichever one Prometheus reaches. It is
registered on a registry of its own (``build_registry``), never on the global one.

Exposed (text format 0.0.4)::

    hub_messages_accepted_total{type}        accepted messages, by message type
    hub_messages_rejected_total{code}        refused messages, by rejection code
    hub_deliveries{status,partner}           outbox rows now, by status and recipient
    hub_deliveries_delivered_total           rows delivered
    hub_delivery_retries_total               failed attempts that were scheduled again
    hub_deliveries_dead                      rows dead now (retries exhausted or refused)
    hub_queue_depth{lane}                    wakes the broker holds per lane (each wakes
                                             one partner's batch; rows: hub_deliveries)
    hub_delivery_latency_seconds             accepted → delivered, rows delivered in the
                                             last 24 h (a window: it can go down)
    hub_workers_alive                        workers with a fresh heartbeat
    hub_delivery_deadline_notices_total      non-delivery notices sent to senders
    hub_deliveries_late                      rows past their time to deliver, sender told,
                                             still not delivered (an alert's condition)
    hub_alerts{state}                        alert incidents: open (nobody took it),
                                             acknowledged, resolved
    hub_circuit_transitions_total{partner,state}
                                             circuits opened (state="open", from closed)
                                             and closed (state="closed")
"""

import logging
import math
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import dramatiq
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from sqlalchemy.orm import Session, sessionmaker

from hub.observability.figures import (
    accepted_counts,
    delivery_figures,
    late_delivery_figures,
    latency_figures,
    queue_depths,
    rejection_counts,
    workers_alive,
)
from hub.store import alert_state_counts, circuit_transition_counts

__all__ = ["CONTENT_TYPE", "LATENCY_WINDOW", "HubCollector", "build_registry", "render"]

#: The exposition format ``render`` writes.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
#: The latency histogram covers deliveries within this window before the scrape.
LATENCY_WINDOW = timedelta(hours=24)

_log = logging.getLogger(__name__)


class HubCollector:
    """A Prometheus collector that reads the hub's figures on every scrape.

    ``clock`` gives the current UTC time; ``worker_stale_s`` (seconds) is how old a
    heartbeat may be for its worker to count as alive. A broker that does not
    answer leaves ``hub_queue_depth`` out of the scrape (logged) rather than failing it.
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        broker: dramatiq.Broker | None,
        clock: Callable[[], datetime],
        worker_stale_s: float,
    ) -> None:
        self._sessions = session_factory
        self._broker = broker
        self._clock = clock
        self._worker_stale_s = worker_stale_s

    def collect(self) -> Iterator[Metric]:
        now = self._clock()
        with self._sessions() as session:
            accepted = accepted_counts(session)
            rejected = rejection_counts(session)
            deliveries = delivery_figures(session)
            latency = latency_figures(session, now=now, window=LATENCY_WINDOW)
            alive = len(workers_alive(session, now=now, within_s=self._worker_stale_s))
            late = late_delivery_figures(session)
            alerts = alert_state_counts(session)
            transitions = circuit_transition_counts(session)

        family = CounterMetricFamily(
            "hub_messages_accepted", "Accepted messages, by message type.", labels=["type"]
        )
        for message_type, count in sorted(accepted.items()):
            family.add_metric([message_type], count)
        yield family

        family = CounterMetricFamily(
            "hub_messages_rejected", "Refused messages, by rejection code.", labels=["code"]
        )
        for code, count in sorted(rejected.items()):
            family.add_metric([code], count)
        yield family

        gauge = GaugeMetricFamily(
            "hub_deliveries",
            "Outbox rows now, by status and recipient partner.",
            labels=["status", "partner"],
        )
        for (partner, status), count in sorted(deliveries.by_partner_status.items()):
            gauge.add_metric([status, partner], count)
        yield gauge

        yield CounterMetricFamily(
            "hub_deliveries_delivered", "Outbox rows delivered.", value=deliveries.delivered
        )
        yield CounterMetricFamily(
            "hub_delivery_retries",
            "Failed delivery attempts that were scheduled to be tried again.",
            value=deliveries.retries_total,
        )
        yield GaugeMetricFamily(
            "hub_deliveries_dead",
            "Outbox rows dead now (retries exhausted or refused by the partner).",
            value=deliveries.dead,
        )

        depths = self._queue_depths()
        if depths is not None:
            gauge = GaugeMetricFamily(
                "hub_queue_depth",
                "Wakes the broker holds per lane (each wakes a batch of one partner's rows):"
                " waiting, delayed or not yet acknowledged.",
                labels=["lane"],
            )
            for lane, depth in depths.items():
                gauge.add_metric([lane], depth)
            yield gauge

        yield HistogramMetricFamily(
            "hub_delivery_latency_seconds",
            "Accepted to delivered, for rows delivered in the last 24 hours.",
            buckets=[
                ("+Inf" if math.isinf(bound) else _seconds(bound), count)
                for bound, count in latency.buckets_ms
            ],
            sum_value=latency.sum_ms / 1000.0,
        )
        yield GaugeMetricFamily(
            "hub_workers_alive", "Delivery workers with a fresh heartbeat.", value=alive
        )
        yield CounterMetricFamily(
            "hub_delivery_deadline_notices",
            "Non-delivery notices sent to senders: a message past its time to deliver.",
            value=late.notices_total,
        )
        yield GaugeMetricFamily(
            "hub_deliveries_late",
            "Outbox rows past their time to deliver, the sender told, not yet delivered.",
            value=late.open,
        )

        gauge = GaugeMetricFamily("hub_alerts", "Alert incidents, by state.", labels=["state"])
        for state, count in alerts.items():
            gauge.add_metric([state.value], count)
        yield gauge

        family = CounterMetricFamily(
            "hub_circuit_transitions",
            "Circuit breakers opened (from closed) and closed, by partner.",
            labels=["partner", "state"],
        )
        for partner, opened, closed in transitions:
            family.add_metric([partner, "open"], opened)
            family.add_metric([partner, "closed"], closed)
        yield family

    def _queue_depths(self) -> dict[str, int] | None:
        try:
            return queue_depths(self._broker)
        except Exception as exc:  # a scrape reports what it can; the broker has /readyz
            _log.warning("queue depth unavailable: %s", type(exc).__name__)
            return None


def build_registry(collector: HubCollector) -> CollectorRegistry:
    """A registry of its own holding ``collector`` (the process-global one is left alone)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return registry


def render(registry: CollectorRegistry) -> bytes:
    """The scrape body in the text format ``CONTENT_TYPE`` names."""
    return generate_latest(registry)


def _seconds(bound_ms: float) -> str:
    return repr(bound_ms / 1000.0)
