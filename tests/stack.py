"""The hub and the partner simulators, running in-process on loopback for integration tests.

Real parts throughout: the hub's FastAPI app under uvicorn, a dramatiq worker on a
real Redis, the simulators' HTTP and SOAP servers, each simulator's gateway (which signs
what the simulator sends, and lists the police's notifications), and onboarded credentials.
"""

import threading
from collections.abc import Collection, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from adapters.gateway.process import Gateway, GatewayOptions
from adapters.hub_client import HubClient
from adapters.kdn import simulator as kdn_simulator
from adapters.police import simulator as police_simulator
from adapters.registry import ADAPTERS
from adapters.simulation import GatewayClient, SimulatorServer
from adapters.social import simulator as social_simulator
from hub.app import create_app
from hub.config import Settings
from hub.onboarding import bundle_dir, onboard_partner
from hub.runtime import HubRuntime, build_runtime, utc_now
from hub.store import DeliveryMode
from queues import run_worker
from signing import DevPki, KeyAlgorithm
from tooling.demo.stack import DEMO_PARTNERS, partner_endpoint
from tooling.rig import ReservedPort

SIMULATORS = {"police": police_simulator, "social": social_simulator, "kdn": kdn_simulator}


@dataclass
class RunningHub:
    settings: Settings
    runtime: HubRuntime
    url: str
    api_keys: dict[str, str]
    simulators: dict[str, SimulatorServer] = field(default_factory=dict)
    gateways: dict[str, SimulatorServer] = field(default_factory=dict)

    def client(self, code: str) -> HubClient:
        """A partner's own client to the hub, with its onboarded credentials."""
        return HubClient(self.url, bundle_dir(self.settings.data_dir, code))


def fast_settings(data_dir: Path, database_url: str, broker_url: str) -> Settings:
    """Settings with short backoffs and sweeps, so faults resolve within a test."""
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        broker_url=broker_url,
        delivery_max_retries=3,
        delivery_min_backoff_ms=100,
        delivery_max_backoff_ms=400,
        delivery_lease_s=5,
        delivery_timeout_s=3.0,
        inbox_visibility_s=2,
        sweep_interval_s=0.3,
        stuck_after_s=1.5,
        worker_threads=2,
    )


@contextmanager
def running_hub(
    settings: Settings,
    pki: DevPki,
    *,
    worker: bool = True,
    simulators: bool = True,
    pull: Collection[str] = (),
    without: frozenset[str] = frozenset(),
    key_algorithms: Mapping[str, KeyAlgorithm] | None = None,
) -> Iterator[RunningHub]:
    """Onboard the partners (those in ``pull`` in pull mode, as beside a gateway), start the
    API, a worker and the simulators; stop them all.

    ``without``: simulators not to start, so a test takes that partner's seat (a pull
    partner's inbox is then the test's alone). ``key_algorithms``: partners whose key is not
    the PKI's default (an RSA partner in a mixed region, a 512-bit GOST one)."""
    with ExitStack() as cleanup:
        # Each port is held while the hub runs (tooling.rig.ports): no other process can
        # take one between onboarding and the server's start, and the endpoints of the
        # partners with no simulator here refuse connections.
        ports = {
            name: cleanup.enter_context(ReservedPort()).port for name in ("hub", *DEMO_PARTNERS)
        }
        exchange_root = settings.data_dir / "exchange"
        runtime = build_runtime(settings)
        cleanup.callback(runtime.close)
        keys = {}
        with runtime.session_factory.begin() as session:
            for code, organisation in DEMO_PARTNERS.items():
                bundle = onboard_partner(
                    session, pki, data_dir=settings.data_dir, code=code,
                    organisation=organisation,
                    endpoint=partner_endpoint(code, ports[code], exchange_root), now=utc_now(),
                    delivery_mode=DeliveryMode.PULL if code in pull else None,
                    key_algorithm=(key_algorithms or {}).get(code),
                )  # fmt: skip
                keys[code] = bundle.api_key
        server = SimulatorServer(create_app(runtime), port=ports["hub"]).start()
        cleanup.callback(server.stop)
        hub = RunningHub(settings, runtime, server.url, keys)
        if worker:
            stop = threading.Event()
            worker_thread = threading.Thread(
                target=run_worker,
                args=(settings, runtime.session_factory, ADAPTERS),
                kwargs={"stop": stop},
                daemon=True,
            )
            worker_thread.start()
            cleanup.callback(worker_thread.join, timeout=30)
            cleanup.callback(stop.set)
        if simulators:
            for code, module in SIMULATORS.items():
                if code in without:
                    continue
                system = partner_endpoint(code, ports[code], exchange_root)
                gateway = start_gateway(
                    cleanup, hub, code, system or f"http://127.0.0.1:{ports[code]}"
                )
                client = GatewayClient(gateway.url)
                cleanup.callback(client.close)
                app = module.create_app(settings.data_dir / "sim" / code, client)
                hub.simulators[code] = SimulatorServer(app, port=ports[code]).start()
                cleanup.callback(hub.simulators[code].stop)
        yield hub


def quick_gateway(
    code: str, *, hub_url: str, bundle: Path, system: str, spool: Path
) -> GatewayOptions:
    """A gateway for ``code`` with short intervals and backoffs, so a test sees it act at
    once."""
    return GatewayOptions(
        code=code,
        hub_url=hub_url,
        bundle=bundle,
        system_url=system,
        spool=spool,
        min_backoff_s=0.05,
        max_backoff_s=0.2,
        send_interval_s=0.05,
        poll_interval_s=0.1,
        system_timeout_s=3.0,
    )


def start_gateway(cleanup: ExitStack, hub: RunningHub, code: str, system: str) -> SimulatorServer:
    """Serve ``code``'s gateway on a free port until ``cleanup`` closes."""
    data_dir = hub.settings.data_dir
    gateway = Gateway(
        quick_gateway(
            code,
            hub_url=hub.url,
            bundle=bundle_dir(data_dir, code),
            system=system,
            spool=data_dir / "gateways" / code / "spool.sqlite",
        )
    )
    cleanup.callback(gateway.close)
    server = SimulatorServer(gateway.app).start()
    cleanup.callback(server.stop)
    hub.gateways[code] = server
    return server
