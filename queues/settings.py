"""The settings the queues read, as a protocol: ``hub.config.Settings`` satisfies it.

``queues`` may not import ``hub.config`` (see the layering table), so it names the
fields it needs here; the CLI passes its ``Settings`` object as is.
"""

from pathlib import Path
from typing import Protocol

__all__ = ["QueueSettings"]


class QueueSettings(Protocol):
    """Read-only view of the delivery settings; units as in ``hub.config.Settings``."""

    @property
    def data_dir(self) -> Path: ...
    @property
    def broker_url(self) -> str | None: ...
    @property
    def delivery_max_retries(self) -> int: ...
    @property
    def delivery_min_backoff_ms(self) -> int: ...
    @property
    def delivery_max_backoff_ms(self) -> int: ...
    @property
    def delivery_timeout_s(self) -> float: ...
    @property
    def delivery_lease_s(self) -> int: ...
    @property
    def sweep_interval_s(self) -> float: ...
    @property
    def stuck_after_s(self) -> float: ...
    @property
    def worker_threads(self) -> int: ...
