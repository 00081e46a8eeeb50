"""The demo's story, step by step, against the running stack; each step says what it shows.

Every message passes through the agencies' gateways: each simulator speaks its native
format to its own gateway, which signs, sends and pulls the hub's messages into it.
Police detect three families and refer them (one urgently); the social centre's
system is down for the first deliveries and its gateway delivers them when the hub
offers them again; the commission registers them over SOAP; the centre answers with a
receipt and a status update that the police system takes from its gateway. A resent
and a forged message are refused with their codes. At the end every simulator must
hold exactly what it should.
"""

import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime

import httpx
from rich.console import Console

from adapters.hub_client import HubClient
from adapters.police import translate as police_translate
from hub.onboarding import bundle_dir
from tooling.demo.families import police_records
from tooling.demo.stack import DemoStack

#: How long the demo waits for the whole flow to settle, in seconds.
SETTLE_DEADLINE_S = 90.0
#: How long the social centre's system is down, from the first delivery it refuses: more
#: than the demo's inbox lease (3 s) plus its gateways' longest pause (2 s), see stack.py.
OUTAGE_S = 7


@dataclass
class Expectations:
    """What each simulator must hold at the end, by MessageId."""

    referrals: set[str] = field(default_factory=set)
    urgent_referral: str = ""  # the family whose case the demo then follows to closure
    kaluga_referral: str = ""  # the family in the second region, left open with a late action
    refused: dict[str, str] = field(default_factory=dict)  # step → rejection code seen


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def run_scenario(stack: DemoStack, console: Console, *, stamp: str, now: datetime) -> Expectations:
    expected = Expectations()
    with httpx.Client(timeout=10.0) as http:
        _step(console, f"КЦСОН недоступен: {OUTAGE_S} с с первой доставки его система отвечает 503")
        # Longer than a lease plus the gateway's longest pause: a copy is offered again within
        # the outage and fails again, so it waits a whole lease with failed tries, and the
        # alerts, evaluated every second, see it however the copies happened to arrive.
        http.post(
            stack.url_of("social") + "/control/outage",
            json={"failures": 1, "status": 503, "seconds": OUTAGE_S},
        ).raise_for_status()

        _step(console, "ПДН регистрирует три сигнала (один срочный); их шлёт в узел шлюз ПДН")
        records = police_records(stamp, now)
        for record in records:
            answer = http.post(stack.url_of("police") + "/referrals", json=record)
            answer.raise_for_status()
            message_id = police_translate.message_id_for(str(record["kusp_number"]))
            expected.referrals.add(message_id)
            if record["urgent"]:
                expected.urgent_referral = message_id
            if "Калуж" in str(record["address"]):
                expected.kaluga_referral = message_id
            receipt = answer.json()
            recipients = ", ".join(d["recipient"] for d in receipt["deliveries"])
            console.print(f"    {record['kusp_number']}: узел № {receipt['hub_id']} → {recipients}")

        _step(console, "Повторная отправка того же сигнала: узел не примет его второй раз")
        expected.refused["повтор"] = _resend(stack, records[0], now)

        _step(console, "Подделка: текст изменён после подписи — узел отклоняет сообщение")
        expected.refused["подделка"] = _forge(stack, records[2], now, http)
    return expected


def _step(console: Console, text: str) -> None:
    console.print(f"[bold cyan]▶[/bold cyan] {text}")


def _resend(stack: DemoStack, record: dict[str, object], now: datetime) -> str:
    envelope = police_translate.to_canonical(
        record,
        message_id=police_translate.message_id_for(str(record["kusp_number"])),
        now=now,
    )
    # The adapter treats the hub's replay.duplicate as "already delivered": resending is safe.
    with HubClient(stack.hub_url, bundle_dir(stack.settings.data_dir, "police")) as hub:
        if hub.send(envelope).duplicate:
            return "replay.duplicate"
    raise RuntimeError("the hub accepted a resent message")


def _forge(stack: DemoStack, record: dict[str, object], now: datetime, http: httpx.Client) -> str:
    envelope = police_translate.to_canonical(
        {**record, "kusp_number": f"{record['kusp_number']}-П"},
        message_id=str(uuid.uuid4()),
        now=now,
    )
    with HubClient(stack.hub_url, bundle_dir(stack.settings.data_dir, "police")) as hub:
        signed = hub.sign(envelope)
    forged = signed.replace("Кирова".encode(), "Садовая".encode(), 1)
    api_key = (bundle_dir(stack.settings.data_dir, "police") / "api_key").read_text().strip()
    answer = http.post(
        stack.hub_url + "/api/v1/messages",
        content=forged,
        headers={"Content-Type": "application/xml", "Authorization": f"Bearer {api_key}"},
    )
    if answer.status_code < 400:
        raise RuntimeError("the hub accepted a forged message")
    code: str = answer.json()["code"]
    return code


def wait_until_settled(stack: DemoStack, expected: Expectations, console: Console) -> list[Check]:
    """Poll the simulators until they hold what they should, or the deadline passes."""
    _step(console, "Ожидание: доставка с повторами, ответы КЦСОН, опрос входящих ПДН")
    deadline = time.monotonic() + SETTLE_DEADLINE_S
    with httpx.Client(timeout=5.0) as http:
        while True:
            checks = _checks(stack, expected, http)
            if all(c.ok for c in checks) or time.monotonic() > deadline:
                return checks
            time.sleep(0.5)


def _checks(stack: DemoStack, expected: Expectations, http: httpx.Client) -> list[Check]:
    def received(name: str) -> list[dict[str, str]]:
        items = http.get(stack.url_of(name) + "/state").json()["received"]
        assert isinstance(items, list)
        return items

    social, kdn, police = received("social"), received("kdn"), received("police")

    def answers(message_type: str, sender: str) -> list[str]:
        """What the police got back: the referral each answer of this kind correlates to."""
        return [
            item["correlation_id"]
            for item in police
            if item["message_type"] == message_type and item["sender"] == sender
        ]

    held = {
        "КЦСОН получил каждый сигнал ровно один раз": [i["message_id"] for i in social],
        "КДН и ЗП получила каждый сигнал ровно один раз": [i["message_id"] for i in kdn],
        "ПДН получил подтверждение КЦСОН на каждый сигнал": answers("ReferralReceipt", "social"),
        "ПДН получил подтверждение КДН на каждый сигнал": answers("ReferralReceipt", "kdn"),
        "ПДН получил статус обследования на каждый сигнал": answers("ActionStatusUpdate", "social"),
    }
    want = sorted(expected.referrals)
    checks = []
    for name, ids in held.items():
        # The systems keep earlier runs' messages too; this run's must each be there once.
        ours = sorted(i for i in ids if i in expected.referrals)
        checks.append(Check(name, ours == want, f"{len(ours)} из {len(want)}"))
    for step, code in {
        "повтор": "replay.duplicate",
        "подделка": "signature.digest_mismatch",
    }.items():
        seen = expected.refused.get(step, "—")
        checks.append(Check(f"узел отклонил: {step}", seen == code, seen))
    return checks
