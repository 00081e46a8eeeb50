"""``python -m tooling.bench.transports``: milliseconds per delivery of each push transport
against its partner's real simulator.

Each simulator serves from its own process, so the CPU figure is the transport's alone (what
a worker thread spends per call: translation, the request, the answer) and the wall figure
adds the simulator's answer over loopback. The messages are the bench's mix
(``tooling.bench.mix``), each a fresh FamilyReferral, as the hub's worker would deliver them.
Partners whose protocol the mix reaches: the commission (SOAP) and the social centre (REST).
"""

import argparse
import multiprocessing
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from lxml import etree

from adapters.base import OutboundMessage, Transport
from adapters.kdn import simulator as kdn_simulator
from adapters.registry import get_adapter
from adapters.simulation import GatewayClient, SimulatorServer
from adapters.social import simulator as social_simulator
from tooling.bench.mix import build_envelopes

__all__ = ["TransportFigures", "main", "measure_transport"]

#: Partner code → (its simulator's module, the path of its endpoint below the server's URL).
_SIMULATORS = {"kdn": (kdn_simulator, "/soap"), "social": (social_simulator, "")}
#: A gateway that never answers: the simulators' replies are not what is measured.
_NO_GATEWAY = "http://127.0.0.1:9"
#: Calls before the clock starts: the first opens the connection (and reads a WSDL).
_WARM_UP_CALLS = 20


@dataclass(frozen=True)
class TransportFigures:
    """One transport's cost per delivery."""

    partner: str
    calls: int
    wall_ms: float  #: per call, the simulator's answer included
    cpu_ms: float  #: per call, of this process only (the transport's own work)


def measure_transport(partner: str, calls: int) -> TransportFigures:
    """Deliver ``calls`` fresh messages to ``partner``'s simulator through its transport."""
    messages = _messages(partner, _WARM_UP_CALLS + calls)
    with _SimulatorProcess(partner) as endpoint:
        make_transport = get_adapter(partner).make_transport
        assert make_transport is not None, partner  # _SIMULATORS names push partners only
        transport = make_transport(endpoint, 10.0)
        try:
            _deliver_all(transport, messages[:_WARM_UP_CALLS])
            wall, cpu = time.perf_counter(), time.process_time()
            _deliver_all(transport, messages[_WARM_UP_CALLS:])
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        finally:
            transport.close()
    return TransportFigures(partner, calls, wall * 1000 / calls, cpu * 1000 / calls)


def _deliver_all(transport: Transport, messages: Sequence[OutboundMessage]) -> None:
    for message in messages:
        transport.deliver(message)


def _messages(partner: str, count: int) -> list[OutboundMessage]:
    return [
        OutboundMessage(
            delivery_id=index,
            recipient=partner,
            message_id=message_id,
            message_type="FamilyReferral",
            priority="routine",
            envelope=etree.tostring(envelope),
        )
        for index, (message_id, envelope) in enumerate(build_envelopes(count))
    ]


class _SimulatorProcess:
    """A partner's simulator served by a child process; the context gives its endpoint."""

    def __init__(self, partner: str) -> None:
        self._partner = partner
        self._state_dir = tempfile.TemporaryDirectory(prefix=f"bench-{partner}-")
        context = multiprocessing.get_context("spawn")
        self._pipe, child_end = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(partner, Path(self._state_dir.name), child_end), daemon=True
        )

    def __enter__(self) -> str:
        self._process.start()
        port = self._pipe.recv()
        return f"http://127.0.0.1:{port}{_SIMULATORS[self._partner][1]}"

    def __exit__(self, *exc_info: object) -> None:
        self._pipe.send("stop")
        self._process.join()
        self._pipe.close()
        self._state_dir.cleanup()


def _serve(partner: str, state_dir: Path, pipe: Connection) -> None:
    """The child process: serve the simulator until the parent says stop."""
    module = _SIMULATORS[partner][0]
    with (
        GatewayClient(_NO_GATEWAY) as gateway,
        SimulatorServer(module.create_app(state_dir, gateway)) as server,
    ):
        pipe.send(server.port)
        pipe.recv()


def main(argv: Sequence[str] | None = None) -> None:
    """Print each transport's milliseconds per call, wall and CPU."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="Timed calls per transport.")
    parser.add_argument(
        "--partner", action="append", choices=sorted(_SIMULATORS), help="Default: every one."
    )
    options = parser.parse_args(argv)
    for partner in options.partner or sorted(_SIMULATORS):
        figures = measure_transport(partner, options.calls)
        print(
            f"{partner}: {figures.wall_ms:.3f} ms wall, {figures.cpu_ms:.3f} ms CPU per call "
            f"({figures.calls} calls)"
        )


if __name__ == "__main__":
    main()
