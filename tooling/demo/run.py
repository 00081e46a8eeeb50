"""Run the demo: prepare, start the stack, play the scenario, print and check the outcome."""

import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
from rich.console import Console
from rich.table import Table

from hub.cases import Role, find_case
from hub.config import Settings
from hub.store import list_incidents, make_engine, make_session_factory
from signing import Crypto, VerifyPolicy
from tooling.demo.accounts import DemoAccount, demo_accounts
from tooling.demo.lifecycle import Lifecycle
from tooling.demo.report import RunReport, run_report
from tooling.demo.scenario import SETTLE_DEADLINE_S, Check, run_scenario, wait_until_settled
from tooling.demo.stack import DemoStack
from tooling.rig import child_env

ROLE_NAMES = {
    Role.CURATOR: "куратор",
    Role.OFFICER: "специалист ведомства",
    Role.SUPERVISOR: "руководитель",
    Role.ADMINISTRATOR: "администратор",
}
PARTNER_NAMES = {
    "police": "ПДН (police)",
    "social": "КЦСОН (social)",
    "kdn": "КДН и ЗП (kdn)",
    "health": "Роддом (health)",
    "education": "Школа (education)",
    "employment": "ЦЗН (employment)",
    "klg-hospital": "Больница Калуги (klg-hospital)",
}
#: The partner whose outage the scenario stages (503 for seconds): its alert must open and resolve.
OUTAGE_PARTNER = "social"
#: How the progress output names each family of signature algorithms.
ALGORITHM_NAMES = {
    "rsa": "RSA / ECDSA с SHA-256",
    "gost256": "ГОСТ Р 34.10-2012 (256 бит) с хешем ГОСТ Р 34.11-2012 «Стрибог»",
}


def run_demo(settings: Settings, console: Console, *, crypto: Crypto = "rsa") -> bool:
    """Play the scenario end to end with ``crypto`` keys for the hub and every partner; True
    when every check passed.

    Raises:
        FileExistsError: the data folder's PKI is of the other crypto.
        GostUnavailable: ``crypto="gost"`` without the OpenSSL GOST engine.
    """
    started = datetime.now(UTC)
    stamp = started.strftime("%Y%m%d%H%M%S")
    stack = DemoStack(settings, run_dir=settings.data_dir / "demo" / stamp, crypto=crypto)
    with stack:
        with console.status("Подготовка: PKI, база данных, регистрация партнёров…"):
            stack.prepare()
        providers = stack.signature_providers
        console.print(f"[green]✓[/green] PKI, база и партнёры готовы ({settings.data_dir})")
        console.print(
            f"[green]✓[/green] подписи: {ALGORITHM_NAMES.get(providers, providers)}; "
            f"узел принимает только их (HUB_SIGNATURE_PROVIDERS={providers})"
        )
        with console.status("Запуск: Redis, узел (API и обработчик), шлюзы ведомств, симуляторы…"):
            stack.start()
        console.print(
            f"[green]✓[/green] узел слушает {stack.hub_url}; журналы в {stack.run_dir / 'logs'}"
        )
        console.print(
            f"[green]✓[/green] метрики: {stack.hub_url}/metrics, "
            f"Authorization: Bearer {stack.metrics_token}"
        )
        expected = run_scenario(stack, console, stamp=stamp, now=started)
        with console.status("доставка…"):
            checks = wait_until_settled(stack, expected, console)
        console.print("[bold]Сопровождение семьи: от сигнала до снятия с учёта[/bold]")
        with httpx.Client(timeout=10.0) as http:
            lifecycle = Lifecycle(stack, console, http)
            checks += lifecycle.run(expected.urgent_referral)
            checks += lifecycle.run_open_case(expected.kaluga_referral)
            open_case = lifecycle.case_ref
            with console.status("доставка последних сообщений…"):
                # The executors' last answers may still be on their way: let them land.
                report = _settled_report(settings, since=started)
            holdings = lifecycle.holdings()
            with console.status("оповещения: ждём, когда узел отметит конец сбоя КЦСОН…"):
                _wait_for_outage_resolved(settings, since=started)
    checks.append(_signature_check(report, providers))
    # The two commands side by side: each spends seconds loading the hub before it reads.
    with ThreadPoolExecutor(max_workers=2) as pool:
        attention = pool.submit(
            _hub_cli, settings, providers, "cases", "attention", "--region", "kaluga"
        )
        alerts = pool.submit(_hub_cli, settings, providers, "alerts", "list", "--all")
        checks.append(_attention_check(attention.result(), open_case))
        checks.append(_alerts_check(alerts.result(), console, since=started))
    engine = make_engine(settings.effective_database_url)
    try:
        with make_session_factory(engine).begin() as session:
            accounts = demo_accounts(session, now=datetime.now(UTC))
    finally:
        engine.dispose()
    _print_report(console, report)
    _print_holdings(console, holdings)
    _print_checks(console, checks)
    _print_accounts(console, accounts, settings)
    _print_open_case(console, accounts, open_case, settings)
    return all(c.ok for c in checks) and report.undelivered == 0


def _settled_report(settings: Settings, *, since: datetime) -> RunReport:
    """The run's report once nothing is left to deliver, or as it stands at the deadline."""
    engine = make_engine(settings.effective_database_url)
    deadline = time.monotonic() + SETTLE_DEADLINE_S
    try:
        while True:
            with make_session_factory(engine)() as session:
                report = run_report(session, since=since)
            if report.undelivered == 0 or time.monotonic() > deadline:
                return report
            time.sleep(0.3)
    finally:
        engine.dispose()


def _signature_check(report: RunReport, providers: str) -> Check:
    """Every message the run stored is signed with an algorithm of the hub's family."""
    allowed = VerifyPolicy.for_providers([providers]).signature_methods
    stored = sum(report.signature_methods.values())
    others = sum(n for method, n in report.signature_methods.items() if method not in allowed)
    return Check(
        f"сохранённые сообщения подписаны алгоритмами {providers}",
        stored > 0 and others == 0,
        f"{stored - others} из {stored}",
    )


def _hub_cli(settings: Settings, providers: str, *args: str) -> "subprocess.CompletedProcess[str]":
    """``hub ARGS…`` run as an operator would, on the demo's data, its output captured."""
    env = child_env({
        "HUB_DATA_DIR": str(settings.data_dir),
        "DATABASE_URL": settings.effective_database_url,
        # The hub refuses to start on a key of a family it is not configured for (GOST).
        "HUB_SIGNATURE_PROVIDERS": providers,
        # Wide enough that a table never wraps a case reference or a row.
        "COLUMNS": "240",
    })  # fmt: skip
    return subprocess.run(  # noqa: S603 — our own interpreter, the demo's literal arguments
        [sys.executable, "-m", "hub.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _attention_check(answer: "subprocess.CompletedProcess[str]", case_ref: str) -> Check:
    """``hub cases attention --region kaluga``, run as a curator's supervisor would, named
    the open Kaluga case (its late action)."""
    named = answer.returncode == 0 and bool(case_ref) and case_ref in answer.stdout
    return Check(
        "hub cases attention --region kaluga называет открытое дело Калуги",
        named,
        "да" if named else "нет",
    )


def _wait_for_outage_resolved(settings: Settings, *, since: datetime) -> None:
    """Until the hub has resolved an alert about the social centre's outage that started
    ``since``, or the deadline: the worker evaluates the rules every second in the demo."""
    engine = make_engine(settings.effective_database_url)
    deadline = time.monotonic() + SETTLE_DEADLINE_S
    try:
        while time.monotonic() < deadline:
            with make_session_factory(engine)() as session:
                incidents = list_incidents(session, include_resolved=True, limit=100)
                if any(
                    i.subject == OUTAGE_PARTNER and i.resolved_at and i.started_at >= since
                    for i in incidents
                ):
                    return
            time.sleep(0.5)
    finally:
        engine.dispose()


def _alerts_check(
    answer: "subprocess.CompletedProcess[str]", console: Console, *, since: datetime
) -> Check:
    """``hub alerts list --all`` showed the alert this run's social-centre outage raised, and
    resolved (an earlier run's, in the same data folder, does not count)."""
    console.print("[bold]hub alerts list --all[/bold]")
    console.print(answer.stdout.rstrip() or answer.stderr.rstrip(), markup=False, soft_wrap=True)
    # Columns: id, rule, subject, started, resolved, …; a resolved one has a time there.
    rows = [[cell.strip() for cell in line.split("│")[1:-1]] for line in answer.stdout.splitlines()]
    run_start = since.strftime("%Y-%m-%d %H:%M:%S")
    resolved = [
        r
        for r in rows
        if len(r) > 4 and r[2] == OUTAGE_PARTNER and r[3] >= run_start and r[4] not in ("", "—")
    ]
    return Check(
        "hub alerts list --all показывает оповещение о сбое КЦСОН, открытое и устранённое",
        answer.returncode == 0 and bool(resolved),
        f"оповещений: {len(resolved)}" if resolved else "нет",
    )


def _print_report(console: Console, report: RunReport) -> None:
    messages = Table("сообщения", "тип / код", "число", title="Узел: сообщения этого прогона")
    for message_type, count in sorted(report.accepted.items()):
        messages.add_row("[green]приняты[/green]", message_type, str(count))
    for code, count in sorted(report.rejected.items()):
        messages.add_row("[red]отклонены[/red]", code, str(count))
    console.print(messages)
    deliveries = Table(
        "получатель", "статус", "доставок", "попыток", "задержка, мс (медиана / макс.)",
        title="Доставка по партнёрам",
    )  # fmt: skip
    for recipient in sorted({r for r, _ in report.deliveries}):
        statuses = {s: n for (r, s), n in report.deliveries.items() if r == recipient}
        median_ms, max_ms = report.latency_ms.get(recipient, (0.0, 0.0))
        deliveries.add_row(
            PARTNER_NAMES.get(recipient, recipient),
            ", ".join(f"{s}" for s in sorted(statuses)),
            str(sum(statuses.values())),
            str(report.attempts[recipient]),
            f"{median_ms:.0f} / {max_ms:.0f}",
        )
    console.print(deliveries)
    algorithms = Table(
        "SignatureMethod (как получено)", "сообщений", title="Подписи сохранённых сообщений"
    )
    for method, count in sorted(report.signature_methods.items()):
        algorithms.add_row(method, str(count))
    console.print(algorithms)


def _print_holdings(console: Console, holdings: dict[str, dict[str, int]]) -> None:
    table = Table("система", "получено (тип: число)", title="Что хранит каждая система партнёра")
    for code, counts in holdings.items():
        table.add_row(
            PARTNER_NAMES.get(code, code),
            ", ".join(f"{t}: {n}" for t, n in sorted(counts.items())) or "—",
        )
    console.print(table)


def _print_accounts(console: Console, accounts: list[DemoAccount], settings: Settings) -> None:
    # Logins and passwords are copied from here: they never wrap or shorten.
    table = Table(title="Учётные записи для веб-страниц")
    table.add_column("вход", no_wrap=True)
    table.add_column("пароль", no_wrap=True)
    table.add_column("роль", no_wrap=True)
    table.add_column("кто")
    for account in accounts:
        table.add_row(
            account.login, account.password, ROLE_NAMES[account.role], account.display_name
        )
    console.print(table)
    console.print(
        f"Страницы куратора: [bold]hub serve --data-dir {settings.data_dir}[/bold], затем "
        "http://127.0.0.1:8000/login (пароли действуют до следующего запуска демо)"
    )


def _print_open_case(
    console: Console, accounts: list[DemoAccount], case_ref: str, settings: Settings
) -> None:
    """Where to look first: this run's open Kaluga case and the login of its curator."""
    engine = make_engine(settings.effective_database_url)
    try:
        with make_session_factory(engine)() as session:
            case = find_case(session, case_ref) if case_ref else None
    finally:
        engine.dispose()
    if case is None:
        return
    login = next(
        (
            a.login
            for a in accounts
            if a.role is Role.CURATOR
            and a.region == case.region
            and a.staff_id == case.curator_staff_id
        ),
        None,
    )
    if login is not None:
        console.print(f"Дело для просмотра: {case.case_ref}, куратор {login}")


def _print_checks(console: Console, checks: list[Check]) -> None:
    table = Table("проверка", "итог", "", title="Проверки")
    for check in checks:
        table.add_row(check.name, check.detail, "[green]✓[/green]" if check.ok else "[red]✗[/red]")
    console.print(table)
