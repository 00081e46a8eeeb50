"""The demo's running system: one Redis, the hub's API and worker, the six partner simulators,
each behind its agency's gateway.

Each part is a real process on a loopback port the stack holds for it from onboarding
to the end (``tooling.rig.ports``), as in production; the demo owns the embedded Redis
and hands its URL to the others. Every simulated partner is registered to pull: its gateway
(``hub gateway run``, with the partner's bundle and a spool under the systems' folder)
signs and sends what the simulator hands it natively, and pulls the hub's messages into the
simulator (the police simulator lists them from its gateway). Logs go to files under
``<data dir>/demo/logs`` so the console shows only the story.
"""

import secrets
import sys
from dataclasses import dataclass, field
from pathlib import Path

from hub.config import Settings
from hub.onboarding import bundle_dir, onboard_partner
from hub.partners import list_partners, set_partner_delivery
from hub.runtime import utc_now
from hub.store import DeliveryMode, make_engine, make_session_factory
from hub.store.migrate import upgrade
from queues import EmbeddedRedis
from signing import Crypto, DevPki
from tooling.rig import ProcessGroup, ProcessSpec, child_env, http_probe, hub_key_provider

#: The partner systems of the demo: code → organisation.
DEMO_PARTNERS = {
    "police": "ОМВД России по г. Петропавловску-Камчатскому",
    "social": "КГАУ СЗ «Камчатский комплексный центр социального обслуживания населения»",
    "kdn": "Комиссия по делам несовершеннолетних и защите их прав Петропавловск-Камчатского ГО",
    "health": "ГБУЗ «Камчатский краевой родильный дом»",
    "education": "МАОУ «Средняя школа № 3» г. Петропавловска-Камчатского",
    "employment": "КГКУ «Центр занятости населения города Петропавловска-Камчатского»",
}
#: The demo's organisations registered under their agencies, each with its own gateway and
#: system: code → (agency, organisation). The Kaluga family's hospital: the social centre's
#: Kaluga desk names it in that region's plans (adapters/social/simulator.py, DESKS).
DEMO_ORGANISATIONS = {
    "klg-hospital": ("health", "ГБУЗ КО «Калужская областная клиническая больница»"),
}
#: The school whose exchange folder the education partner reads and writes.
DEMO_SCHOOL = "school-3"


def partner_endpoint(code: str, port: int, exchange_root: Path) -> str | None:
    """Where each demo partner's system takes the hub's messages (None: it pulls them):
    its gateway's ``--system``, or the hub's push endpoint when registered to push."""
    endpoints = {
        "social": f"http://127.0.0.1:{port}",
        "kdn": f"http://127.0.0.1:{port}/soap",
        "health": f"http://127.0.0.1:{port}",
        "employment": f"http://127.0.0.1:{port}",
        "education": (exchange_root / DEMO_SCHOOL).resolve().as_uri(),
    }
    return endpoints.get(code)


def simulator_options(code: str, exchange_root: Path, gateway_url: str) -> list[str]:
    """Options a simulator needs beside the shared ones: its gateway, or for the school the
    exchange folder it shares with its gateway; an organisation's also its name."""
    if code == "education":
        return ["--exchange-root", str(exchange_root), "--school", DEMO_SCHOOL]
    if code in DEMO_ORGANISATIONS:
        return ["--gateway", gateway_url, "--organisation", DEMO_ORGANISATIONS[code][1]]
    return ["--gateway", gateway_url]


def agency_of(code: str) -> str:
    """The agency of a demo partner: its own code, or an organisation's agency."""
    return DEMO_ORGANISATIONS[code][0] if code in DEMO_ORGANISATIONS else code


def gateway_name(code: str) -> str:
    """The stack's name of ``code``'s gateway process (and its port)."""
    return f"{code}-gateway"


@dataclass
class DemoStack:
    """Start with ``start()``; as a context manager it stops everything, also on Ctrl-C.

    ``simulated``: the partners whose simulators run, each behind its gateway; all partners
    are registered to pull their inbox, the others so that a system of the user's own takes
    their seat (``hub sandbox --without``). The organisations (``DEMO_ORGANISATIONS``) always
    run.
    ``hub_port``: the hub's port, or None for a free one held for it.
    ``name``: the folder under the data folder for the systems' data (``demo``, ``sandbox``).
    ``crypto``: the dev PKI's, so every key of the hub and the partners (their bundles, with
    which the gateways sign); the hub accepts exactly its own key's family.
    """

    settings: Settings
    run_dir: Path
    simulated: frozenset[str] = frozenset(DEMO_PARTNERS)
    hub_port: int | None = None
    name: str = "demo"
    crypto: Crypto = "rsa"
    redis: EmbeddedRedis | None = None
    #: The stack's own ``HUB_METRICS_TOKEN``: ``/metrics`` is refused on a hub without one.
    metrics_token: str = field(default_factory=lambda: secrets.token_hex(16))
    _ports: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.processes = ProcessGroup(self.run_dir / "logs")

    @property
    def running(self) -> frozenset[str]:
        """The partners whose gateway and simulator run: the simulated and the organisations."""
        return self.simulated | frozenset(DEMO_ORGANISATIONS)

    @property
    def systems_dir(self) -> Path:
        """The partner systems' own data; kept across runs, as a real agency keeps its
        registers (case and plan numbers go on, so they never repeat)."""
        return self.settings.data_dir / self.name / "systems"

    @property
    def exchange_root(self) -> Path:
        """The file-exchange folders shared with the schools."""
        return self.systems_dir / "exchange"

    @property
    def hub_url(self) -> str:
        return self.url_of("hub")

    @property
    def signature_providers(self) -> str:
        """What the stack's hub accepts (``HUB_SIGNATURE_PROVIDERS``): its own key's family,
        ``rsa`` or ``gost256``; known once ``prepare()`` made the PKI."""
        return hub_key_provider(DevPki(self.settings.pki_dir))

    def spool_of(self, code: str) -> Path:
        """The spool of ``code``'s gateway."""
        return self.systems_dir / gateway_name(code) / "spool.sqlite"

    def url_of(self, name: str) -> str:
        return f"http://127.0.0.1:{self._ports[name]}"

    def prepare(self, *, keep_partners: bool = False) -> None:
        """PKI, database schema and partner onboarding (endpoints on ports held until
        ``stop()``). ``keep_partners``: partners registered by an earlier run keep their
        keys and bundles and only get this run's endpoints (the sandbox: an integrator's
        system is configured with its bundle); otherwise every partner is issued anew."""
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        pki = DevPki(self.settings.pki_dir)
        pki.init(self.crypto)
        engine = make_engine(self.settings.effective_database_url)
        try:
            upgrade(engine)
            hub_port = self.hub_port or self.processes.reserve_port()
            ports = {
                name: self.processes.reserve_port()
                for code in self.running
                for name in (code, gateway_name(code))
            }
            with make_session_factory(engine).begin() as session:
                registered = {p.code for p in list_partners(session)} if keep_partners else set()
                partners = {
                    **{code: (None, name) for code, name in DEMO_PARTNERS.items()},
                    **DEMO_ORGANISATIONS,
                }
                for code, (agency, organisation) in partners.items():
                    # The gateways pull; the hub pushes to no demo system.
                    endpoint, mode = None, DeliveryMode.PULL
                    if code in registered:
                        set_partner_delivery(session, code, mode=mode, endpoint=endpoint)
                        continue
                    onboard_partner(
                        session,
                        pki,
                        data_dir=self.settings.data_dir,
                        code=code,
                        organisation=organisation,
                        endpoint=endpoint,
                        delivery_mode=mode,
                        now=utc_now(),
                        # The demo issues its partners anew on each run (the sandbox keeps them).
                        replace_existing=True,
                        agency=agency,
                    )
                assert {p.code for p in list_partners(session)} >= set(partners)
        finally:
            engine.dispose()
        self._ports = {"hub": hub_port, **ports}

    def start(self) -> None:
        """Start Redis, the hub (API + worker), the gateways and the simulators; return when
        all answer.

        The embedded stack unless the settings name a database or a broker (tests run
        the same story on PostgreSQL and the machine's Redis).
        """
        broker_url = self.settings.broker_url
        if broker_url is None:
            self.redis = EmbeddedRedis(self.settings.data_dir).start()
            broker_url = self.redis.url
        env = child_env({
            "HUB_DATA_DIR": str(self.settings.data_dir),
            "DATABASE_URL": self.settings.effective_database_url,
            "REDIS_URL": broker_url,
            "HUB_SIGNATURE_PROVIDERS": self.signature_providers,
            "HUB_DELIVERY_MIN_BACKOFF_MS": "300",
            # A retry budget of about half a minute: a loaded machine must not make the story fail.
            "HUB_DELIVERY_MAX_BACKOFF_MS": "5000",
            "HUB_SWEEP_INTERVAL_S": "2",
            # The demo's overdue action should be noticed within its step, not in a minute.
            "HUB_ESCALATION_INTERVAL_S": "2",
            # The social centre's outage lasts seconds: its alert should open and resolve within
            # the run (a pull offer's failure shows only from its lease's end to the next poll).
            "HUB_ALERT_INTERVAL_S": "1",
            # A copy a gateway could not deliver (the social centre's outage) is offered again
            # after this lease: seconds, not the default minute.
            "HUB_INBOX_VISIBILITY_S": "3",
            "HUB_METRICS_TOKEN": self.metrics_token,
        })  # fmt: skip
        hub_port = self._ports["hub"]
        hub = [sys.executable, "-m", "hub.cli"]
        serve = [*hub, "serve", "--no-worker", "--port", str(hub_port)]
        self.processes.spawn(ProcessSpec("hub", serve, env, http_probe(self.hub_url + "/readyz")))
        self.processes.spawn(ProcessSpec("worker", [*hub, "worker"], env))
        for code in sorted(self.running):
            gateway, agency = gateway_name(code), agency_of(code)
            system = partner_endpoint(agency, self._ports[code], self.exchange_root)
            run_gateway = [
                *hub, "gateway", "run", code, "--agency", agency,
                "--hub", self.hub_url,
                "--bundle", str(bundle_dir(self.settings.data_dir, code)),
                "--port", str(self._ports[gateway]),
                # The police system pulls from its gateway: nothing is delivered into it.
                "--system", system or self.url_of(code),
                "--spool", str(self.spool_of(code)),
                "--max-backoff-s", "2",
            ]  # fmt: skip
            probe = http_probe(self.url_of(gateway) + "/gateway/status")
            self.processes.spawn(ProcessSpec(gateway, run_gateway, env, probe))
            command = [
                sys.executable, "-m", f"adapters.{agency}.simulator",
                "--port", str(self._ports[code]),
                "--state-dir", str(self.systems_dir / code),
                *simulator_options(code, self.exchange_root, self.url_of(gateway)),
            ]  # fmt: skip
            probe = http_probe(self.url_of(code) + "/state")
            self.processes.spawn(ProcessSpec(code, command, env, probe))
        self.processes.wait_until_ready()

    def stop(self) -> None:
        """Stop every process (SIGTERM, then SIGKILL after a grace period) and Redis, and
        give the ports back."""
        try:
            self.processes.stop()
        finally:
            if self.redis is not None:
                self.redis.stop()

    def __enter__(self) -> "DemoStack":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()
