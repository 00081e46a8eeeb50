"""Run the sandbox: the demo's stack, kept up, with some partners left to the integrator.

It is the demo's stack (``tooling.demo.stack``) without the story: the hub (API and worker,
SQLite and an embedded Redis under the data folder), a simulator for each partner behind
that partner's gateway (``hub gateway run``, which signs what the simulator sends natively
and pulls the hub's messages into it), and a bundle for each under
``<data dir>/partners/<code>``. A partner named in ``--without`` gets neither simulator nor
gateway; it is registered to pull its inbox like the others, so the integrator's system,
holding that bundle (or running its own gateway with it), takes its seat. Partners keep
their bundles across runs on the same folder (the integrator's system is configured with
one); each run gives them its endpoints.

While it runs, ``<data dir>/sandbox.json`` says where everything is, for scripts; it is
removed on the way out. The sandbox stops on Ctrl-C or SIGTERM, and with an error when one
of its processes exits.
"""

import json
import os
import threading
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from hub.config import Settings
from hub.onboarding import bundle_dir
from signing import Crypto
from tooling.demo.stack import DEMO_PARTNERS, DemoStack, gateway_name

__all__ = ["SANDBOX_FILE", "SandboxPartner", "run_sandbox"]

#: Written into the data folder while the sandbox runs.
SANDBOX_FILE = "sandbox.json"
#: How often the sandbox looks whether its processes still run, in seconds.
_WATCH_INTERVAL_S = 1.0


@dataclass(frozen=True)
class SandboxPartner:
    """One partner's seat: its bundle, the simulator in it and the simulator's gateway (its
    native interface and spool); None for the integrator's."""

    code: str
    organisation: str
    bundle: str
    simulator_url: str | None
    gateway_url: str | None
    gateway_spool: str | None


def run_sandbox(
    settings: Settings,
    console: Console,
    *,
    port: int,
    without: Iterable[str],
    crypto: Crypto = "rsa",
    stop: threading.Event,
) -> None:
    """Start the sandbox and keep it up until ``stop`` is set; ``crypto`` is its PKI's (the
    bundles' keys, what the hub accepts), fixed by the folder's first run.

    Raises:
        ValueError: ``without`` names an unknown partner.
        RuntimeError: a process of the sandbox exited (its log is named).
        FileExistsError: the folder's PKI is of the other crypto.
        GostUnavailable: ``crypto="gost"`` without the OpenSSL GOST engine.
    """
    left_out = frozenset(without)
    unknown = left_out - set(DEMO_PARTNERS)
    if unknown:
        raise ValueError(
            f"no such partner: {', '.join(sorted(unknown))}; have {', '.join(DEMO_PARTNERS)}"
        )
    stack = DemoStack(
        settings,
        run_dir=settings.data_dir / "sandbox",
        simulated=frozenset(DEMO_PARTNERS) - left_out,
        hub_port=port or None,
        name="sandbox",
        crypto=crypto,
    )
    info_file = settings.data_dir / SANDBOX_FILE
    with stack:
        with console.status("Подготовка: PKI, база данных, партнёры…"):
            stack.prepare(keep_partners=True)
        with console.status("Запуск: Redis, узел, шлюзы, симуляторы…"):
            stack.start()
        seats = [_seat(stack, code, organisation) for code, organisation in DEMO_PARTNERS.items()]
        _write_atomically(info_file, _info(stack, seats))
        try:
            _print_seats(console, stack, seats)
            _watch(stack, stop)
        finally:
            info_file.unlink(missing_ok=True)
    console.print("Песочница остановлена.")


def _seat(stack: DemoStack, code: str, organisation: str) -> SandboxPartner:
    simulated = code in stack.simulated
    return SandboxPartner(
        code=code,
        organisation=organisation,
        bundle=str(bundle_dir(stack.settings.data_dir, code).resolve()),
        simulator_url=stack.url_of(code) if simulated else None,
        gateway_url=stack.url_of(gateway_name(code)) if simulated else None,
        gateway_spool=str(stack.spool_of(code).resolve()) if simulated else None,
    )


def _info(stack: DemoStack, seats: list[SandboxPartner]) -> dict[str, object]:
    return {
        "hub_url": stack.hub_url,
        "pid": os.getpid(),
        "logs": str(stack.processes.log_dir.resolve()),
        "partners": {seat.code: asdict(seat) for seat in seats},
    }


def _write_atomically(path: Path, data: dict[str, object]) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(temporary, path)


def _print_seats(console: Console, stack: DemoStack, seats: list[SandboxPartner]) -> None:
    console.print(f"[bold]Песочница узла[/bold]: {stack.hub_url}  (API: {stack.hub_url}/docs)")
    table = Table(
        "партнёр", "организация", "связка (ключ, сертификат, API-ключ)", "система", "шлюз"
    )
    for seat in seats:
        system = seat.simulator_url or "[bold]ваша[/bold]: забирает входящие GET /api/v1/inbox"
        table.add_row(seat.code, seat.organisation, seat.bundle, system, seat.gateway_url or "—")
    console.print(table)
    console.print(
        f"Журналы: {stack.processes.log_dir}. Описание для скриптов: "
        f"{stack.settings.data_dir / SANDBOX_FILE}. Остановить: Ctrl-C."
    )


def _watch(stack: DemoStack, stop: threading.Event) -> None:
    """Wait for ``stop``; raise as soon as one of the sandbox's processes has exited."""
    while not stop.wait(_WATCH_INTERVAL_S):
        for name, managed in stack.processes.processes.items():
            if not managed.running:
                raise RuntimeError(
                    f"{name} exited with {managed.process.returncode}; see {managed.log}"
                )
