"""The bare pipeline: the work no hub can avoid per message, alone, one process per core.

Safe parse, envelope XSD, signature verification, payload XSD (the hub's own
``Inspector``, with the same trust store) and, for each distinct view among the
recipients, minimisation and re-signing with the hub's key — the same functions,
libraries and keys the hub runs, without HTTP, database, broker or delivery.
``hub_msgs_per_s / bare_msgs_per_s`` is then the share of the machine the hub's
unavoidable work gets.
"""

import multiprocessing
import time
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path

from hub.config import Settings
from hub.ingest import build_inspector, open_pki
from hub.routing import RoutingRules, load_rules
from schemas import minimise
from signing import HUB_SYSTEM_CODE, Signer, XmlSigner

__all__ = ["BareFigures", "BarePipeline", "bare_figures"]

#: Messages each process runs before the clock starts (caches, lazy imports).
_WARMUP = 20
#: How long a process may take to start and finish its share, in seconds.
_DEADLINE_S = 600.0


@dataclass(frozen=True)
class BareFigures:
    """The bare pipeline's rate, and what a message costs it in CPU time."""

    msgs_per_s: float
    #: CPU time (user + system) of the processes per message, in ms: the steadier figure
    #: on a shared machine, where the rate depends on the share of the cores the run got.
    cpu_ms_per_msg: float


@dataclass(frozen=True)
class _Share:
    seconds: float
    cpu_seconds: float


class BarePipeline:
    """The unavoidable per-message work, built once from the hub's data folder."""

    def __init__(self, settings: Settings) -> None:
        pki = open_pki(settings)
        self._inspector = build_inspector(settings, pki)
        self._signer: Signer = XmlSigner(pki.signing_key(HUB_SYSTEM_CODE))
        self._rules: RoutingRules = load_rules(settings.routing_rules)

    def process(self, raw: bytes) -> int:
        """Check ``raw`` and make each recipient view's signed copy; returns the copies made."""
        message = self._inspector.inspect(raw)
        header = message.header
        route = self._rules.route_for(header.message_type)
        recipients = route.recipients if route is not None else ()
        views = {self._rules.visible_to(code) for code in recipients if code != header.sender}
        for view in views:
            minimised, _ = minimise(message.envelope, view)
            self._signer.sign(minimised)
        return len(views)


def bare_figures(
    data_dir: Path, messages: Sequence[bytes], *, processes: int, signature_providers: str
) -> BareFigures:
    """Messages per second of ``processes`` processes sharing ``messages``, started together.

    Each process builds its pipeline from the hub's data folder (its PKI and rules) and
    the hub's ``HUB_SIGNATURE_PROVIDERS``, warms up, waits for the others, then runs its
    share; the rate is all messages over the slowest share's time, the CPU time all
    shares' over all messages.

    Raises:
      RuntimeError: a process failed or did not finish in time.
    """
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(processes)
    results = context.Queue()
    children = [
        context.Process(
            target=_run_share,
            args=(
                Settings(data_dir=data_dir, signature_providers=signature_providers),
                list(messages[index::processes]),
                barrier,
                results,
            ),
            name=f"bench-bare-{index}",
            daemon=True,
        )
        for index in range(processes)
    ]
    try:
        for child in children:
            child.start()
        shares: list[_Share | None] = [results.get(timeout=_DEADLINE_S) for _ in children]
    finally:
        for child in children:
            if child.is_alive():
                child.terminate()
            child.join()
    finished = [share for share in shares if share is not None]
    if len(finished) < processes:
        raise RuntimeError("a bare pipeline process failed; run it alone to see why")
    return BareFigures(
        msgs_per_s=len(messages) / max(share.seconds for share in finished),
        cpu_ms_per_msg=1000 * sum(share.cpu_seconds for share in finished) / len(messages),
    )


def _run_share(
    settings: Settings, share: list[bytes], barrier: Barrier, results: "Queue[_Share | None]"
) -> None:
    try:
        timed = _timed_share(BarePipeline(settings), share, barrier)
    except BaseException:
        # The others must not wait for this one at the barrier, nor the parent for a figure.
        barrier.abort()
        results.put(None)
        raise
    results.put(timed)


def _timed_share(pipeline: BarePipeline, share: list[bytes], barrier: Barrier) -> _Share:
    for raw in share[:_WARMUP]:
        pipeline.process(raw)
    barrier.wait(timeout=_DEADLINE_S)
    started, cpu_started = time.perf_counter(), time.process_time()
    for raw in share:
        pipeline.process(raw)
    return _Share(time.perf_counter() - started, time.process_time() - cpu_started)
