"""Observability: figures read from the database, Prometheus metrics, and JSON logs.

``figures`` is the one source of the hub's numbers (the admin dashboard and
``/metrics`` both read it); ``metrics`` turns them into a Prometheus collector at
scrape time; ``logging`` configures one JSON object per log record.
"""

from hub.observability.figures import (
    LATENCY_BUCKETS_MS,
    DeliveryFigures,
    LateDeliveryFigures,
    LatencyFigures,
    accepted_counts,
    delivery_figures,
    late_delivery_figures,
    latency_figures,
    queue_depths,
    rejection_counts,
    workers_alive,
)
from hub.observability.logging import JsonFormatter, TextFormatter, configure_logging
from hub.observability.metrics import (
    CONTENT_TYPE,
    LATENCY_WINDOW,
    HubCollector,
    build_registry,
    render,
)

__all__ = [
    # Figures
    "LATENCY_BUCKETS_MS",
    "DeliveryFigures",
    "LateDeliveryFigures",
    "LatencyFigures",
    "accepted_counts",
    "delivery_figures",
    "late_delivery_figures",
    "latency_figures",
    "queue_depths",
    "rejection_counts",
    "workers_alive",
    # Metrics
    "CONTENT_TYPE",
    "LATENCY_WINDOW",
    "HubCollector",
    "build_registry",
    "render",
    # Logs
    "JsonFormatter",
    "TextFormatter",
    "configure_logging",
]
