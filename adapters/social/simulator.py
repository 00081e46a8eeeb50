"""A simulated social service centre: the case owner's registry, its webhook and the curator's desk.

``POST /hub/inbox`` takes the centre's native event (what ``SocialTransport`` sends) and
stores it once per ``X-Hub-Message-Id``: a repeat answers 200 with the same registration
number and changes nothing. Every type routed to the centre is accepted and listed in
``GET /state`` (``received``: message_id, message_type, sender, correlation_id, case_ref).

Automatically: a new referral opens a case, numbered by the desk of the family's region
(CaseRef ``KAM-<year>-<000123>`` in Kamchatka, ``KLG-…`` in Kaluga; ``DESKS``), unless the
referral already names a case the centre knows, and, in the same state write, queues a
ReferralReceipt (outcome registered, curator; the CaseRef in its envelope) and an
ActionStatusUpdate (home survey accepted). A CaseDecision or CaseClosure from the commission
updates the case. A background loop posts queued replies, as the centre's native events
(``POST /events`` with an ``Idempotency-Key``), to the centre's gateway until it has them,
across restarts; the gateway signs and sends them to the hub.

On command (the demo, the curator), each building the centre's native event (defaults from
the case, overridden by the JSON body's fields) → queue → post to the gateway now::

    POST /cases/{case_ref}/survey               SurveyAct
    POST /cases/{case_ref}/consent              ConsentRecord (given, unless the body says)
    POST /cases/{case_ref}/decision             CaseDecision by the council (ТЖС regions)
    POST /cases/{case_ref}/plan                 SupportPlan (lines for social, health,
                                                education, employment; next version)
    POST /cases/{case_ref}/assignment           ActionAssignment of one plan line
                                                ({"agency": "employment"} picks it)
    POST /cases/{case_ref}/overdue              ActionStatusUpdate "overdue" to the executor
                                                of a plan line ({"agency": "health"}), and
                                                to the commission for a СОП case
    POST /cases/{case_ref}/information-request  InformationRequest ({"agency": "police"})
    POST /cases/{case_ref}/closure              CaseClosure ({"reason": "goals_achieved"})

Each answers 202 ``{"case_ref", "event", "messages": [{"key", "message_id", "message_type",
"status": "sent" | "pending" | "refused", "error"}]}``; 404 for an unknown case, 422
``{"field", "reason"}`` for a body the translation refuses.

Run: ``python -m adapters.social.simulator --port 8101 --state-dir var/social
--gateway http://127.0.0.1:8201`` (``hub gateway run social … --system
http://127.0.0.1:8101``).

State (``state.json``)::

    {"inbox": {<message_id>: {"message_type", "event", "delivery_id", "received_at",
                              "deliveries", "registration_number", "record"}},
     "cases": {<case_ref>: {"desk", "referral_message_id", "registration_number",
                            "opened_at", "curator", "status", "category", "plan_version",
                            "plan", "consent_ref"}},
     "referrals": {<referral MessageId>: <case_ref>},
     "next_number": 1, "next_case": 1, "outbox": [<ReplyOutbox entries>]}
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from adapters.simulation import (
    REPLY_INTERVAL_S,
    BackgroundLoop,
    GatewayClient,
    OutageSwitch,
    ReplyOutbox,
    State,
    StateStore,
    control_routes,
    lifespan_of,
    run_simulator,
    send_now,
    state_answer,
    webhook_route,
)
from adapters.social.translate import to_canonical
from schemas import TranslationError

__all__ = ["CENTRE", "COMMANDS", "COUNCIL", "CURATORS", "DESKS", "Desk", "create_app", "main"]

CENTRE: Final = {
    "name": "КГАУ СЗ «Камчатский комплексный центр социального обслуживания населения»",
    "department": "отделение помощи семье и детям",
}
#: The council that decides on families in a difficult life situation (ТЖС) in this region.
COUNCIL: Final = {"kind": "council", "name": "Межведомственный консилиум Елизовского района"}
#: The centre's curators, assigned to new families in turn; ``staff_id`` is the personnel
#: number the centre's registry keeps, which binds each curator's hub account.
CURATORS: Final = (
    {
        "last_name": "Кузнецова",
        "first_name": "Елена",
        "middle_name": "Павловна",
        "position": "специалист по социальной работе",
        "phone": "+7 4152 20-11-01",
        "staff_id": "ТН-0101",
    },
    {
        "last_name": "Васильев",
        "first_name": "Денис",
        "middle_name": "Андреевич",
        "position": "психолог",
        "phone": "+7 4152 20-11-02",
        "staff_id": "ТН-0102",
    },
)
#: The gateway's native route for the centre's events (``adapters.gateway.social``).
EVENTS_PATH: Final = "/events"


@dataclass(frozen=True)
class Desk:
    """The centre's office for the families of one region: how it numbers their cases, who
    curates and decides there, and which organisations carry out its plans' lines."""

    #: How a family's address names the region (case and spaces aside).
    address_names: tuple[str, ...]
    #: Every case number of the region begins with it ("KAM-2026-000123").
    case_prefix: str
    centre: Mapping[str, str]
    council: Mapping[str, str]
    curators: tuple[Mapping[str, str], ...]
    #: A plan line's agency → the hub code of the region's organisation that executes it;
    #: the agency's own system where not listed, and the line is left out where it maps
    #: to None (the region's desk has no such partner).
    executors: Mapping[str, str | None]

    def serves(self, address_region: str) -> bool:
        key = _address_key(address_region)
        return any(_address_key(name) == key for name in self.address_names)


def _address_key(name: str) -> str:
    return " ".join(name.split()).casefold()


#: The regions the centre's system serves, by the hub's region code; their names and
#: prefixes are the hub's region files' (hub/regions/*.yaml; a test checks they agree).
DESKS: Final = {
    "kamchatka": Desk(
        address_names=("Камчатский край", "Камчатский кр.", "Камчатка"),
        case_prefix="KAM",
        centre=CENTRE,
        council=COUNCIL,
        curators=CURATORS,
        executors={},
    ),
    "kaluga": Desk(
        address_names=("Калужская область", "Калужская обл.", "Калужская обл"),
        case_prefix="KLG",
        centre={
            "name": "ГБУ КО «Калужский областной центр социальной помощи семье и детям»",
            "department": "отделение «Семейный многофункциональный центр»",
        },
        council={
            "kind": "working_group",
            "name": "Межведомственная рабочая группа по работе с семьями, находящимися в "
            "трудной жизненной ситуации, г. Калуги",
        },
        curators=(
            {
                "last_name": "Громова",
                "first_name": "Татьяна",
                "middle_name": "Сергеевна",
                "position": "специалист по социальной работе",
                "phone": "+7 4842 57-30-11",
                "staff_id": "КЛ-0201",
            },
        ),
        executors={
            "health": "klg-hospital",
            # Kaluga's school and employment centre have no system on the hub yet.
            "education": None,
            "employment": None,
        },
    ),
}
#: Questions the curator asks each agency by default.
_QUESTIONS: Final = {
    "police": "Состоят ли члены семьи на учёте в ПДН; привлекались ли родители к "
    "административной ответственности по ст. 5.35 КоАП РФ",
    "health": "Сведения о состоянии здоровья детей, прохождении диспансеризации и вакцинации",
    "education": "Посещаемость и успеваемость детей, сведения о питании в школе",
    "employment": "Зарегистрирован ли родитель в качестве безработного, получает ли пособие",
    "kdn": "Рассматривались ли материалы в отношении семьи на заседаниях комиссии",
}

#: A command: the case, the centre's state, now and the request body → the event's defaults.
_Command = Callable[[dict[str, Any], State, datetime, dict[str, Any]], dict[str, Any]]


def create_app(state_dir: Path, gateway: GatewayClient) -> Starlette:
    """The centre's web app; its reply loop runs while the app serves."""
    store = StateStore(
        state_dir / "state.json",
        {"inbox": {}, "cases": {}, "referrals": {}, "next_number": 1, "next_case": 1},
    )
    store.update(_upgrade)
    outbox = ReplyOutbox(store, gateway)
    outage = OutageSwitch()

    def receive(
        message_id: str, delivery_id: str | None, event: dict[str, Any]
    ) -> dict[str, object]:
        entry = store.update(lambda state: _receive(state, message_id, delivery_id, event))
        return {
            "registration_number": entry["registration_number"],
            "duplicate": entry["deliveries"] > 1,
        }

    def command_route(name: str, command: _Command) -> Route:
        async def run(request: Request) -> Response:
            case_ref = request.path_params["case_ref"]
            raw = await request.body()
            try:
                body = json.loads(raw) if raw.strip() else {}
            except (json.JSONDecodeError, UnicodeDecodeError):
                return JSONResponse({"field": "body", "reason": "not JSON"}, 422)
            if not isinstance(body, dict):
                return JSONResponse({"field": "body", "reason": "not an object"}, 422)
            try:
                done = store.update(lambda state: _command(state, case_ref, command, body))
            except TranslationError as exc:
                return JSONResponse({"field": exc.field, "reason": exc.reason}, 422)
            if done is None:
                return JSONResponse({"detail": f"unknown case {case_ref}"}, 404)
            event, key = done
            messages = await send_now(store, outbox, [key])
            return JSONResponse({"case_ref": case_ref, "event": event, "messages": messages}, 202)

        return Route(f"/cases/{{case_ref}}/{name}", run, methods=["POST"])

    def state_view() -> object:
        state = store.read()
        received = [
            {
                "message_id": message_id,
                "message_type": entry["message_type"],
                "sender": _hub(entry["record"]).get("sender"),
                "correlation_id": _hub(entry["record"]).get("correlation_id"),
                "case_ref": _hub(entry["record"]).get("case_ref"),
                "event": entry["event"],
                "registration_number": entry["registration_number"],
                "deliveries": entry["deliveries"],
            }
            for message_id, entry in state["inbox"].items()
        ]
        return state_answer(
            state,
            received,
            registers={
                "cases": state["cases"],
                "referrals": state["referrals"],
            },
            counts={
                "deliveries": sum(item["deliveries"] for item in received),
                "cases": len(state["cases"]),
            },
        )

    loops: Sequence[BackgroundLoop] = [
        BackgroundLoop("social-replies", outbox.send_pending, REPLY_INTERVAL_S)
    ]
    return Starlette(
        routes=[
            webhook_route("/hub/inbox", outage, receive, kind_key="event"),
            *(command_route(name, command) for name, command in COMMANDS.items()),
            *control_routes(outage, state_view),
        ],
        lifespan=lifespan_of(loops),
    )


def _hub(record: dict[str, Any]) -> dict[str, Any]:
    hub = record.get("hub")
    return hub if isinstance(hub, dict) else {}


# Inbound


def _receive(
    state: State, message_id: str, delivery_id: str | None, event: dict[str, Any]
) -> State:
    """Store one delivery; open a case for a new referral and queue its replies."""
    inbox = state["inbox"]
    if message_id in inbox:
        inbox[message_id]["deliveries"] += 1
        return dict(inbox[message_id])
    now = datetime.now(UTC)
    number = _next(state, "next_number")
    registration_number = f"СРЦ-{now.year}/{number:04d}"
    inbox[message_id] = {
        "message_type": _hub(event).get("message_type"),
        "event": event["event"],
        "delivery_id": delivery_id,
        "received_at": now.isoformat(),
        "deliveries": 1,
        "registration_number": registration_number,
        "record": event,
    }
    case = state["cases"].get(_hub(event).get("case_ref"))
    if event["event"] == "referral.received":
        case_ref = _open_case(state, event, message_id, registration_number, number, now)
        _queue_replies(state, event, message_id, case_ref, now)
    elif case is not None and event["event"] == "case.decided":
        case.update(
            category=event.get("category"),
            decided_by=event.get("decision_body", {}).get("name"),
            decision_outcome=event.get("outcome"),
        )
    elif case is not None and event["event"] == "case.closed":
        case.update(status="closed", closure_reason=event.get("reason"))
    return dict(inbox[message_id])


def _next(state: State, key: str) -> int:
    number: int = state[key]
    state[key] = number + 1
    return number


def _open_case(
    state: State,
    event: dict[str, Any],
    referral_message_id: str,
    registration_number: str,
    number: int,
    now: datetime,
) -> str:
    """The case of a referral: the one it names if the centre knows it, else a new one
    numbered by the desk of the family's region."""
    known = _hub(event).get("case_ref")
    if known in state["cases"]:
        state["referrals"][referral_message_id] = known
        return str(known)
    referral = event.get("referral", {})
    code, desk = _desk_for(str(referral.get("family", {}).get("address", {}).get("region")))
    case_ref = f"{desk.case_prefix}-{now.year}-{_next(state, 'next_case'):06d}"
    state["cases"][case_ref] = {
        "desk": code,
        "referral_message_id": referral_message_id,
        "registration_number": registration_number,
        "opened_at": now.isoformat(),
        "curator": desk.curators[number % len(desk.curators)],
        "status": "open",
        "category": None,
        "plan_version": 0,
        "plan": None,
        "referral": referral,
    }
    state["referrals"][referral_message_id] = case_ref
    return case_ref


def _desk_for(address_region: str) -> tuple[str, Desk]:
    """The desk serving a family's region.

    Raises:
        LookupError: no desk serves it; the hub refuses such referrals
            (``referral.region_not_served``), so none is ever delivered here.
    """
    for code, desk in DESKS.items():
        if desk.serves(address_region):
            return code, desk
    raise LookupError("the centre serves no family in this region")


def _desk(case: dict[str, Any]) -> Desk:
    return DESKS[case["desk"]]


def _queue_replies(
    state: State,
    event: dict[str, Any],
    referral_message_id: str,
    case_ref: str,
    now: datetime,
) -> None:
    case = state["cases"][case_ref]
    answer = {
        "referral_message_id": referral_message_id,
        "case_ref": case_ref,
        "urgent": True if _hub(event).get("priority") == "urgent" else None,
    }
    registered = {
        **answer,
        "event": "referral.registered",
        "outcome": "registered",
        "registration_number": case["registration_number"],
        "registered_at": now.isoformat(),
        "centre": _desk(case).centre,
        "curator": case["curator"],
        "comment": f"Семья принята на учёт, учётное дело {case_ref}, назначен куратор",
    }
    survey = {
        **answer,
        "event": "action.status_changed",
        "action_id": f"survey-{case_ref}",
        "status": "accepted",
        "changed_at": now.isoformat(),
        "executor": _desk(case).centre,
        "specialist": case["curator"],
        "period": {"from": now.date().isoformat()},
        "comment": "Назначено обследование условий проживания",
    }
    for record in (registered, survey):
        _queue(state, {k: v for k, v in record.items() if v is not None}, str(uuid.uuid4()), now)


def _queue(state: State, event: dict[str, Any], key: str, now: datetime) -> None:
    ReplyOutbox.add_record(
        state, key=key, path=EVENTS_PATH, record=event, translate=to_canonical, now=now
    )


# Commands


def _command(
    state: State, case_ref: str, command: _Command, body: dict[str, Any]
) -> tuple[dict[str, Any], str] | None:
    """Build and queue one command's event (and its key); ``None`` for an unknown case."""
    case = state["cases"].get(case_ref)
    if case is None:
        return None
    now = datetime.now(UTC)
    event = {**command(case, state, now, body), **body, "case_ref": case_ref}
    if case.get("consent_ref") and event["event"] != "consent.recorded":
        # The centre names the family's consent on all it sends on the case after it.
        event.setdefault("consent_ref", case["consent_ref"])
    if event["event"] == "information.requested":
        # "agency" names the addressee, now in "recipients"; the request has no such field.
        event.pop("agency", None)
    # A command option, not a field of the centre's event.
    event.pop("started_days_ago", None)
    key = str(uuid.uuid4())
    _queue(state, event, key, now)
    if event["event"] == "plan.approved":
        case.update(plan_version=event.get("version"), plan=event)
    elif event["event"] == "case.closed":
        case.update(status="closed", closure_reason=event.get("reason"))
    elif event["event"] == "consent.recorded":
        given = event.get("status") == "given"
        case.update(consent_ref=event["consent_number"] if given else None)
    elif event["event"] == "case.decided":
        case.update(category=event.get("category"), decided_by=event["decision_body"]["name"])
    return event, key


def _children(case: dict[str, Any]) -> list[dict[str, Any]]:
    return list(case["referral"].get("family", {}).get("children", []))


def _parent(case: dict[str, Any]) -> dict[str, Any] | None:
    adults = case["referral"].get("family", {}).get("adults", [])
    return adults[0] if adults else None


def _survey(
    case: dict[str, Any], state: State, now: datetime, _body: dict[str, Any]
) -> dict[str, Any]:
    address = case["referral"].get("family", {}).get("address")
    return {
        "event": "survey.completed",
        "survey_number": f"АО-{now.year}-{_next(state, 'next_number'):04d}",
        "surveyed_at": now.isoformat(),
        "centre": _desk(case).centre,
        "specialists": [case["curator"]],
        "address": address,
        "children_seen": [
            {k: v for k, v in child.items() if k != "health_note"} for child in _children(case)
        ],
        "housing": "Двухкомнатная квартира, печное отопление, санитарное состояние "
        "удовлетворительное; у детей есть спальные места, места для занятий нет",
        "findings": "Продукты питания в недостаточном количестве, сезонной одежды у детей нет",
        "risk_level": "medium",
        "needs_support": True,
        "recommendations": "Признать семью находящейся в трудной жизненной ситуации, "
        "разработать ИПСС с участием органов здравоохранения, образования и занятости",
    }


def _consent(
    case: dict[str, Any], state: State, now: datetime, _body: dict[str, Any]
) -> dict[str, Any]:
    parent = _parent(case)
    return {
        "event": "consent.recorded",
        "organisation": _desk(case).centre["name"],
        "consent_number": f"СОГЛ-{now.year}-{_next(state, 'next_number'):04d}",
        "status": "given",
        "scopes": ["support", "data_processing", "data_exchange"],
        "recorded_at": now.isoformat(),
        "given_by": None
        if parent is None
        else {k: parent[k] for k in ("last_name", "first_name", "middle_name") if k in parent},
        "given_by_role": None if parent is None else parent.get("role"),
        "document_ref": f"Заявление о предоставлении социальных услуг от {now.date():%d.%m.%Y}",
        "valid_until": (now.date() + timedelta(days=365)).isoformat(),
    }


def _decision(
    case: dict[str, Any], state: State, now: datetime, _body: dict[str, Any]
) -> dict[str, Any]:
    desk = _desk(case)
    return {
        "event": "case.decided",
        "organisation": desk.centre["name"],
        "decision_number": f"РК-{now.year}-{_next(state, 'next_number'):04d}",
        "decided_at": now.isoformat(),
        "decision_body": desk.council,
        "outcome": "recognised",
        "category": "tjs",
        "risk_level": "medium",
        "curator": case["curator"],
        "curator_organisation": desk.centre,
        "protocol_ref": f"Протокол заседания консилиума от {now.date():%d.%m.%Y}",
        "grounds": "Малоимущность, отсутствие работы у единственного родителя",
    }


def _plan(
    case: dict[str, Any], state: State, now: datetime, body: dict[str, Any]
) -> dict[str, Any]:
    """The plan; ``started_days_ago`` dates it back (a plan adopted weeks ago, on paper).
    Each line goes to the organisation of the case's region that executes it."""
    desk = _desk(case)
    approved = now - timedelta(days=int(body.get("started_days_ago", 0)))
    version = int(case["plan_version"] or 0) + 1
    plan_number = (case["plan"] or {}).get("plan_number") or (
        f"ИПСС-{now.year}-{_next(state, 'next_number'):04d}"
    )
    start = approved.date()

    def by(days: int) -> str:
        return (start + timedelta(days=days)).isoformat()

    lines = [
        ("Социальный патронаж семьи не реже двух раз в месяц", "social", "social", 180),
        (
            "Медицинский осмотр детей, вакцинация по национальному календарю",
            "medical",
            "health",
            30,
        ),
        (
            "Бесплатное горячее питание, психолого-педагогическое сопровождение детей",
            "pedagogical",
            "education",
            60,
        ),
        (
            "Профессиональное обучение матери и содействие в трудоустройстве",
            "employment",
            "employment",
            90,
        ),
    ]
    return {
        "event": "plan.approved",
        "organisation": desk.centre["name"],
        "plan_number": plan_number,
        "version": version,
        "period": {"from": start.isoformat(), "to": by(180)},
        "approved_at": approved.isoformat(),
        "approved_by": case.get("decided_by") or desk.council["name"],
        "curator": case["curator"],
        "goals": "Выход семьи из трудной жизненной ситуации: трудоустройство матери, "
        "обеспечение детей питанием и сезонной одеждой",
        "actions": [
            {
                "action_id": f"{plan_number}-{i:02d}",
                "measure": measure,
                "help_type": help_type,
                "agency": agency,
                **_executor_code(desk, agency),
                "deadline": by(days),
            }
            for i, (measure, help_type, agency, days) in enumerate(lines, start=1)
            if desk.executors.get(agency, agency) is not None
        ],
    }


def _executor_code(desk: Desk, agency: str) -> dict[str, str]:
    """The line's ``executor_code`` where an organisation of the region executes it."""
    code = desk.executors.get(agency)
    return {} if code is None else {"executor_code": code}


def _line_of(plan: dict[str, Any], agency: str) -> dict[str, Any]:
    """The plan's line for ``agency``.

    Raises:
        TranslationError: the plan has none.
    """
    line = next((a for a in plan["actions"] if a["agency"] == agency), None)
    if line is None:
        raise TranslationError("agency", f"no line of the plan is for {agency!r}")
    return dict(line)


def _assignment(
    case: dict[str, Any], _state: State, _now: datetime, body: dict[str, Any]
) -> dict[str, Any]:
    plan = case["plan"]
    if plan is None:
        raise TranslationError("plan", "the case has no plan yet")
    line = _line_of(plan, body.get("agency", "employment"))
    keys = ("action_id", "measure", "help_type", "agency", "executor_code", "deadline")
    return {
        "event": "action.assigned",
        "organisation": _desk(case).centre["name"],
        "plan_number": plan["plan_number"],
        "plan_version": plan["version"],
        **{k: line[k] for k in keys if k in line},
        "comment": "Просим принять мероприятие к исполнению и сообщить о ходе",
    }


def _overdue(
    case: dict[str, Any], _state: State, now: datetime, body: dict[str, Any]
) -> dict[str, Any]:
    """The curator marks a plan line overdue and tells its executor (and the commission)."""
    plan = case["plan"]
    if plan is None:
        raise TranslationError("plan", "the case has no plan yet")
    line = _line_of(plan, body.get("agency", "health"))
    executor = line.get("executor_code", line["agency"])
    recipients = [executor, "kdn"] if case.get("category") == "sop" else [executor]
    return {
        "event": "action.status_changed",
        # Status events name the referral the case was opened on.
        "referral_message_id": case["referral_message_id"],
        "recipients": recipients,
        "action_id": line["action_id"],
        "plan_id": plan["plan_number"],
        "status": "overdue",
        "changed_at": now.isoformat(),
        "executor": _desk(case).centre,
        "specialist": case["curator"],
        "comment": f"Срок исполнения мероприятия ({line['deadline']}) истёк, отчёт не поступил",
    }


def _information_request(
    case: dict[str, Any], state: State, now: datetime, body: dict[str, Any]
) -> dict[str, Any]:
    agency = body.get("agency")
    if agency not in _QUESTIONS:
        raise TranslationError("agency", f"name the agency asked, one of {sorted(_QUESTIONS)}")
    parent = _parent(case)
    return {
        "event": "information.requested",
        "recipients": [agency],
        "questions": _QUESTIONS[agency],
        "organisation": _desk(case).centre["name"],
        "request_number": f"ЗАП-{now.year}-{_next(state, 'next_number'):04d}",
        "requested_at": now.isoformat(),
        "subject": "family" if parent is None else "adult",
        "person": None
        if parent is None
        else {
            **{k: parent[k] for k in ("last_name", "first_name", "middle_name") if k in parent},
            "birth_date": parent.get("birth_date"),
        },
        "purpose": "Подготовка индивидуальной программы социального сопровождения",
        "due_by": (now.date() + timedelta(days=10)).isoformat(),
    }


def _closure(
    case: dict[str, Any], _state: State, now: datetime, _body: dict[str, Any]
) -> dict[str, Any]:
    desk = _desk(case)
    start = now.date() + timedelta(days=1)
    return {
        "event": "case.closed",
        "organisation": desk.centre["name"],
        "closed_at": now.isoformat(),
        "reason": "goals_achieved",
        "decision_body": desk.council,
        "post_support": {"from": start.isoformat(), "to": _months_later(start, 6).isoformat()},
        "comment": "Мать трудоустроена, дети обеспечены питанием; постсопровождение 6 месяцев",
    }


def _months_later(start: date, months: int) -> date:
    month = start.month - 1 + months
    year, month = start.year + month // 12, month % 12 + 1
    # The 31st of a shorter month is its last day: step back until the date exists.
    for day in range(start.day, 0, -1):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable: day 1 always exists")


#: The control commands, by the last segment of their path.
COMMANDS: Final[dict[str, _Command]] = {
    "survey": _survey,
    "consent": _consent,
    "decision": _decision,
    "plan": _plan,
    "assignment": _assignment,
    "overdue": _overdue,
    "information-request": _information_request,
    "closure": _closure,
}


def _upgrade(state: State) -> None:
    """Add what a state file from before the case lifecycle lacks; keep the rest."""
    state.setdefault("cases", {})
    state.setdefault("referrals", {})
    state.setdefault("next_case", 1)
    for case_ref, case in state["cases"].items():
        # Cases of a state file from before the desks: each by its number's prefix.
        case.setdefault(
            "desk", next(c for c, d in DESKS.items() if case_ref.startswith(f"{d.case_prefix}-"))
        )


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of ``python -m adapters.social.simulator``."""
    run_simulator(argv, description=__doc__.splitlines()[0], create_app=create_app)


if __name__ == "__main__":
    main()
