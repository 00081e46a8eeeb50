"""The second act of the demo: one family's case from signal to closure, across six systems.

The urgent family the police referred is surveyed and consents; the commission
recognises it as СОП; the curator's plan gives actions to the hospital, the school
and the employment centre, each of which reports back in its own format (FHIR Task,
CSV file, REST record); one action runs late and the hub's deadline job marks it
overdue; a periodic report and an answer from the police come in; the case is closed
with its reason. A second family, in Kaluga, gets a case numbered KLG-… by the centre's
Kaluga desk, is decided by that region's working group (no prior consent needed there),
gets a plan for a Kaluga hospital and stays open with its late action marked, for the
curator's pages.
"""

import time
from collections.abc import Callable

import httpx
from rich.console import Console

from tooling.demo.scenario import Check
from tooling.demo.stack import DEMO_ORGANISATIONS, DEMO_PARTNERS, DemoStack

#: How long one step may take to show its effect, in seconds.
STEP_DEADLINE_S = 60.0
#: The demo's plans were adopted this many days ago, so the hospital's 30-day line is late.
PLAN_STARTED_DAYS_AGO = "35"
#: The Kaluga family's hospital, registered under health (tooling/demo/stack.py).
KALUGA_HOSPITAL = "klg-hospital"


class Lifecycle:
    """Drives the partner simulators through one case and checks each step's effect."""

    def __init__(self, stack: DemoStack, console: Console, http: httpx.Client) -> None:
        self._stack = stack
        self._console = console
        self._http = http
        self.checks: list[Check] = []
        self.case_ref = ""

    def run(self, referral_id: str) -> list[Check]:
        case_ref = self._await(
            "КЦСОН завёл учётное дело по срочному сигналу",
            lambda: self._case_of(referral_id),
        )
        if not case_ref:
            return self.checks
        self.case_ref = str(case_ref)
        self._step("Обследование жилищно-бытовых условий: риск высокий; семья даёт согласие")
        self._command("social", "survey", {"risk_level": "high"})
        self._command("social", "consent")
        self._expect("kdn", "КДН и ЗП получила акт обследования и согласие",
                     {"SurveyAct": 1, "ConsentRecord": 1})  # fmt: skip
        self._step("КДН и ЗП рассматривает дело и признаёт семью находящейся в СОП")
        self._expect("social", "КЦСОН получил постановление КДН и ЗП", {"CaseDecision": 1})
        self._expect("police", "ПДН получил постановление по своему сигналу", {"CaseDecision": 1})
        self._step("Куратор вносит ИПСС, утверждённый 35 дней назад: больница, школа, ЦЗН")
        self._command("social", "plan", {"started_days_ago": PLAN_STARTED_DAYS_AGO})
        for code in ("health", "education", "employment"):
            self._expect(code, f"{code}: план получен в своём формате", {"SupportPlan": 1})
        self._expect_statuses("исполнители приняли мероприятия к исполнению", minimum=1)
        self._expect_overdue_notice("health")
        self._step("Исполнители завершают мероприятия и отчитываются: FHIR Task, CSV, REST")
        for _ in range(2):  # accepted → in progress → done
            self._post("employment", "/control/advance")
        self._post("health", "/control/advance")
        self._expect_statuses("КЦСОН получил отчёты об исполнении от всех исполнителей", minimum=2)
        self._step("Центр занятости присылает периодический отчёт; ПДН отвечает на запрос")
        self._post("employment", f"/cases/{self.case_ref}/report")
        self._command("social", "information-request", {"agency": "police"})
        self._expect("social", "КЦСОН получил отчёт и ответ ПДН",
                     {"PeriodicReport": 1, "InformationResponse": 1})  # fmt: skip
        self._step("Цели достигнуты: дело снято с учёта, постсопровождение 6 месяцев")
        self._command("social", "closure", {"reason": "goals_achieved"})
        for code in ("kdn", "police", "health", "education", "employment"):
            self._expect(code, f"{code}: получено уведомление о снятии с учёта", {"CaseClosure": 1})
        return self.checks

    def run_open_case(self, referral_id: str) -> list[Check]:
        """The Kaluga family: decided without prior consent, left open with a late action."""
        case_ref = self._await(
            "Калуга: КЦСОН завёл учётное дело", lambda: self._case_of(referral_id)
        )
        if not case_ref:
            return self.checks
        self.case_ref = str(case_ref)
        self._check(
            f"Калуга: номер дела с префиксом региона ({self.case_ref})",
            self.case_ref.startswith("KLG-"),
        )
        self._step("Калуга: обследование; рабочая группа признаёт семью в ТЖС (согласие позже)")
        self._command("social", "survey", {"risk_level": "medium"})
        self._command("social", "decision", {"category": "tjs"})
        self._command("social", "plan", {"started_days_ago": PLAN_STARTED_DAYS_AGO})
        hospital = DEMO_ORGANISATIONS[KALUGA_HOSPITAL][1]
        self._expect(KALUGA_HOSPITAL, f"Калуга: план получила {hospital}", {"SupportPlan": 1})
        self._expect_overdue_notice(KALUGA_HOSPITAL)
        return self.checks

    def holdings(self) -> dict[str, dict[str, int]]:
        """What each simulator holds at the end: received messages by type."""
        return {code: self._counts(code) for code in (*DEMO_PARTNERS, *DEMO_ORGANISATIONS)}

    def _expect_overdue_notice(self, hospital: str) -> None:
        self._step("Срок мероприятия больницы истёк: узел сам отмечает просрочку и уведомляет")
        self._expect(hospital, "больница получила уведомление узла о просрочке",
                     {"ActionStatusUpdate": 1})  # fmt: skip

        def told_curator() -> bool:
            return any(
                item.get("message_type") == "ActionStatusUpdate"
                and item.get("sender") == "hub"
                and item.get("case_ref") == self.case_ref
                for item in self._received("social")
            )

        self._await("куратор получил уведомление узла о просрочке", told_curator)

    def _check(self, name: str, ok: bool) -> None:
        self.checks.append(Check(name, ok, "да" if ok else "нет"))
        mark = "[green]✓[/green]" if ok else "[red]✗[/red]"
        self._console.print(f"    {mark} {name}")

    def _step(self, text: str) -> None:
        self._console.print(f"[bold cyan]▶[/bold cyan] {text}")

    def _command(self, code: str, command: str, body: dict[str, object] | None = None) -> None:
        self._post(code, f"/cases/{self.case_ref}/{command}", body)

    def _post(self, code: str, path: str, body: dict[str, object] | None = None) -> None:
        answer = self._http.post(self._stack.url_of(code) + path, json=body or {})
        if answer.status_code >= 300:
            raise RuntimeError(f"{code}{path} answered {answer.status_code}: {answer.text}")

    def _case_of(self, referral_id: str) -> str | None:
        """The case the social centre opened for this referral, once it has."""
        referrals = self._state("social")["referrals"]
        assert isinstance(referrals, dict)
        case_ref = referrals.get(referral_id)
        return str(case_ref) if case_ref else None

    def _state(self, code: str) -> dict[str, object]:
        state = self._http.get(self._stack.url_of(code) + "/state").json()
        assert isinstance(state, dict)
        return state

    def _counts(self, code: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for item in self._received(code):
            message_type = str(item.get("message_type"))
            counts[message_type] = counts.get(message_type, 0) + 1
        return counts

    def _received(self, code: str) -> list[dict[str, object]]:
        received = self._state(code)["received"]
        assert isinstance(received, list)
        return received

    def _on_case(self, code: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for item in self._received(code):
            if item.get("case_ref") in (self.case_ref, None):
                message_type = str(item.get("message_type"))
                counts[message_type] = counts.get(message_type, 0) + 1
        return counts

    def _expect(self, code: str, name: str, wanted: dict[str, int]) -> None:
        def holds() -> dict[str, int] | None:
            counts = self._on_case(code)
            return counts if all(counts.get(t, 0) >= n for t, n in wanted.items()) else None

        self._await(name, holds)

    def _expect_statuses(self, name: str, *, minimum: int) -> None:
        def reported() -> dict[str, int] | None:
            by_sender: dict[str, int] = {}
            for item in self._received("social"):
                if item.get("message_type") == "ActionStatusUpdate" and item.get("case_ref") == (
                    self.case_ref
                ):
                    sender = str(item.get("sender"))
                    by_sender[sender] = by_sender.get(sender, 0) + 1
            executors = ("health", "education", "employment")
            return by_sender if all(by_sender.get(e, 0) >= minimum for e in executors) else None

        self._await(name, reported)

    def _await(self, name: str, condition: Callable[[], object]) -> object:
        deadline = time.monotonic() + STEP_DEADLINE_S
        while True:
            result = condition()
            if result or time.monotonic() > deadline:
                self._check(name, bool(result))
                return result
            time.sleep(0.3)
