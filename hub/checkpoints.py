"""The checkpoint job: the worker signs the log's chain head every ``HUB_CHECKPOINT_INTERVAL_S``.

Runs beside the delivery worker (``hub worker``, ``hub serve``). Each interval is a slot
numbered from the epoch; the first worker to store a checkpoint for the slot makes it and
the others find it taken, so several workers sign one checkpoint per interval.
"""

import threading
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from hub.config import Settings
from hub.ingest import checkpoint_folder, hub_signer, make_checkpoint, open_pki
from hub.jobs import run_every


def run_checkpoints(
    settings: Settings,
    session_factory: sessionmaker[Session],
    *,
    clock: Callable[[], datetime],
    stop: threading.Event,
) -> None:
    """Sign a checkpoint each interval until ``stop``; a failed pass is logged and retried."""
    signer = hub_signer(settings, open_pki(settings))
    interval_s = settings.checkpoint_interval_s
    folder = checkpoint_folder(settings.data_dir)

    def one_pass(now: datetime) -> None:
        slot = int(now.timestamp() // interval_s)
        make_checkpoint(session_factory, signer, folder, now=now, slot=slot)

    run_every(one_pass, clock=clock, interval_s=interval_s, stop=stop, name="checkpoint")
