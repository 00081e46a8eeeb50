"""A simulated employment centre (центр занятости): job seekers, services, and the hub's records.

``POST /api/v1/hub/records`` takes the centre's native record (what ``EmploymentTransport``
sends) once per ``X-Hub-Message-Id`` (a repeat answers the same record number). What it does
on its own, each reply queued in the same state write and posted as the centre's native record
(``POST /records``) to the centre's gateway until it has it (CorrelationId = the MessageId it
answers, CaseRef kept):

- ``assigned_actions`` (a SupportPlan's lines or an ActionAssignment): each new action is
  registered and answered ``принято к исполнению`` (accepted); then every ``step_s`` seconds
  (or on ``POST /control/advance``) each open action moves on: ``исполняется`` (in_progress),
  then ``исполнено`` (done) with the service's document;
- ``information_request``: answered with an InformationResponse from its register of job
  seekers (the applicants of the referrals it sent);
- ``closure_notice``: the case's open actions stop.

Its own commands: ``POST /referrals`` (a job seeker's family in hardship → FamilyReferral,
its idempotency key derived from the referral number), ``POST /cases/{case_ref}/report`` (a
PeriodicReport of its actions on the case). Both answer 202 with the queued message's fate.
``GET /state``, ``POST /control/outage``, ``POST /control/advance`` as the other simulators.

Run: ``python -m adapters.employment.simulator --port 8106 --state-dir var/employment
--gateway http://127.0.0.1:8206`` (``hub gateway run employment … --system
http://127.0.0.1:8106``).
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from adapters.employment.translate import to_canonical
from adapters.employment.transport import RECORDS_PATH
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
from schemas import TranslationError

__all__ = ["ACTION_STEP_S", "CENTRE", "COUNSELLOR", "create_app", "main"]

CENTRE: Final = {
    "name": "КГКУ «Центр занятости населения Елизовского района»",
    "department": "отдел содействия занятости и профессионального обучения",
}
COUNSELLOR: Final = {
    "surname": "Гончаренко",
    "name": "Ольга",
    "patronymic": "Викторовна",
    "position": "ведущий инспектор",
    "phone": "+7 41531 6-44-20",
}
#: How long an action stays in one status before the centre moves it on, in seconds.
ACTION_STEP_S: Final = 5.0
#: uuid5 namespace of the centre's MessageIds (referrals by number, replies by what they answer).
_NAMESPACE: Final = uuid.UUID("0b7c4f52-1e8a-5d93-a6c2-7e4f1d2b9c30")
#: The status an open action moves to next, and what the centre writes about it.
_NEXT: Final = {
    "принято к исполнению": ("исполняется", "Гражданин приступил к получению услуги"),
    "исполняется": ("исполнено", "Услуга оказана в полном объёме"),
}


#: The gateway's native route for the centre's records (``adapters.gateway.employment``).
GATEWAY_PATH: Final = "/records"


def create_app(
    state_dir: Path, gateway: GatewayClient, *, step_s: float = ACTION_STEP_S
) -> Starlette:
    """The centre's web app; its reply and action loops run while the app serves."""
    store = StateStore(
        state_dir / "state.json", {"inbox": {}, "actions": {}, "referrals": {}, "next_number": 1}
    )
    outbox = ReplyOutbox(store, gateway)
    outage = OutageSwitch()

    def receive(
        message_id: str, delivery_id: str | None, record: dict[str, Any]
    ) -> dict[str, object]:
        entry = store.update(lambda state: _receive(state, message_id, delivery_id, record))
        return {"record_number": entry["record_number"], "duplicate": entry["deliveries"] > 1}

    async def register_referral(request: Request) -> Response:
        try:
            record = json.loads(await request.body())
            number = str(record["referral_number"])
        except (json.JSONDecodeError, UnicodeDecodeError, TypeError, KeyError):
            return JSONResponse({"field": "referral_number", "reason": "missing or not JSON"}, 422)
        key = str(uuid.uuid5(_NAMESPACE, f"referral:{number}"))
        try:
            store.update(lambda state: _queue_referral(state, record, number, key))
        except TranslationError as exc:
            return JSONResponse({"field": exc.field, "reason": exc.reason}, 422)
        return JSONResponse((await send_now(store, outbox, [key]))[0], 202)

    async def report(request: Request) -> Response:
        case_ref = request.path_params["case_ref"]
        key = store.update(lambda state: _queue_report(state, case_ref))
        if key is None:
            return JSONResponse({"detail": f"no actions of the centre on case {case_ref}"}, 404)
        return JSONResponse((await send_now(store, outbox, [key]))[0], 202)

    def advance(min_age_s: float) -> int:
        return store.update(lambda state: _advance(state, datetime.now(UTC), min_age_s))

    async def post_advance(_request: Request) -> Response:
        moved = advance(0.0)
        await send_now(store, outbox, [])
        return JSONResponse({"advanced": moved})

    def state_view() -> object:
        state = store.read()
        received = [
            {
                "message_id": message_id,
                "message_type": entry["record"]["hub"].get("message_type"),
                "sender": entry["record"]["hub"].get("sender"),
                "correlation_id": entry["record"]["hub"].get("correlation_id"),
                "case_ref": entry["record"].get("case_ref"),
                "kind": entry["kind"],
                "record_number": entry["record_number"],
                "deliveries": entry["deliveries"],
            }
            for message_id, entry in state["inbox"].items()
        ]
        return state_answer(
            state,
            received,
            registers={
                "actions": state["actions"],
                "referrals": state["referrals"],
            },
            counts={
                "actions": len(state["actions"]),
            },
        )

    loops: Sequence[BackgroundLoop] = [
        BackgroundLoop("employment-replies", outbox.send_pending, REPLY_INTERVAL_S),
        BackgroundLoop("employment-actions", functools.partial(advance, step_s), step_s),
    ]
    return Starlette(
        routes=[
            webhook_route(RECORDS_PATH, outage, receive, kind_key="kind"),
            Route("/referrals", register_referral, methods=["POST"]),
            Route("/cases/{case_ref}/report", report, methods=["POST"]),
            Route("/control/advance", post_advance, methods=["POST"]),
            *control_routes(outage, state_view),
        ],
        lifespan=lifespan_of(loops),
    )


def _receive(
    state: State, message_id: str, delivery_id: str | None, record: dict[str, Any]
) -> State:
    """Store one delivery; act on a new record (register actions, answer a request)."""
    inbox = state["inbox"]
    if message_id in inbox:
        inbox[message_id]["deliveries"] += 1
        return dict(inbox[message_id])
    now = datetime.now(UTC)
    number = state["next_number"]
    state["next_number"] = number + 1
    inbox[message_id] = {
        "kind": record["kind"],
        "delivery_id": delivery_id,
        "received_at": now.isoformat(),
        "deliveries": 1,
        "record_number": f"ЦЗН-ВХ-{now.year}-{number:05d}",
        "record": record,
    }
    if record["kind"] == "assigned_actions":
        _register_actions(state, message_id, record, now)
    elif record["kind"] == "information_request":
        _answer(state, message_id, record, now)
    elif record["kind"] == "closure_notice":
        for action in state["actions"].values():
            if action["case_ref"] == record.get("case_ref"):
                action["closed"] = True
    return dict(inbox[message_id])


def _register_actions(state: State, message_id: str, record: dict[str, Any], now: datetime) -> None:
    for line in record.get("actions", []):
        if line["action_id"] in state["actions"]:
            continue  # the plan and an assignment may both carry it; a revision repeats it
        state["actions"][line["action_id"]] = {
            "case_ref": record.get("case_ref"),
            "plan_id": record.get("plan_id"),
            "measure": line["measure"],
            "deadline": line["deadline"],
            "assignment_message_id": message_id,
            "status": "принято к исполнению",
            "changed_at": now.isoformat(),
            "closed": False,
        }
        _queue_status(
            state,
            line["action_id"],
            "Мероприятие принято, семья приглашена на приём к инспектору",
            now,
        )


def _queue_status(state: State, action_id: str, note: str, now: datetime) -> None:
    action = state["actions"][action_id]
    record = {
        "kind": "action_status",
        "case_ref": action["case_ref"],
        "assignment_message_id": action["assignment_message_id"],
        "plan_id": action["plan_id"],
        "action_id": action_id,
        "status": action["status"],
        "changed_at": now.isoformat(),
        "centre": CENTRE,
        "counsellor": COUNSELLOR,
        "service_period": {"from": action["changed_at"][:10], "to": action["deadline"]},
        "note": note,
        "document": f"Приказ ЦЗН о предоставлении государственной услуги ({action_id})"
        if action["status"] == "исполнено"
        else None,
    }
    _queue(
        state,
        {k: v for k, v in record.items() if v is not None},
        str(uuid.uuid5(_NAMESPACE, f"status:{action_id}:{action['status']}")),
        now,
    )


def _advance(state: State, now: datetime, min_age_s: float) -> int:
    """Move each open action that waited ``min_age_s`` one status on; return how many moved."""
    moved = 0
    for action_id, action in state["actions"].items():
        step = _NEXT.get(action["status"])
        age_s = (now - datetime.fromisoformat(action["changed_at"])).total_seconds()
        if step is None or action["closed"] or age_s < min_age_s:
            continue
        action["status"], note = step
        action["changed_at"] = now.isoformat()
        _queue_status(state, action_id, f"{note}: {action['measure']}", now)
        moved += 1
    return moved


def _answer(state: State, message_id: str, record: dict[str, Any], now: datetime) -> None:
    person = record.get("person") or {}
    applicant = next(
        (
            r["applicant"]
            for r in state["referrals"].values()
            if r["applicant"].get("surname") == person.get("surname")
            and r["applicant"].get("name") == person.get("name")
        ),
        None,
    )
    if applicant is None:
        answer = "В регистре получателей услуг в сфере занятости не значится"
    else:
        answer = (
            "Зарегистрирован(а) в качестве безработного, получает пособие по безработице; "
            "направлен(а) на профессиональное обучение"
        )
    reply = {
        "kind": "information_response",
        "case_ref": record.get("case_ref"),
        "request_message_id": message_id,
        "request_number": record["request_number"],
        "answered_at": now.isoformat(),
        "centre": CENTRE,
        "answer": answer,
    }
    _queue(
        state,
        {k: v for k, v in reply.items() if v is not None},
        str(uuid.uuid5(_NAMESPACE, f"answer:{message_id}")),
        now,
    )


def _queue(state: State, record: dict[str, Any], key: str, now: datetime) -> None:
    ReplyOutbox.add_record(
        state, key=key, path=GATEWAY_PATH, record=record, translate=to_canonical, now=now
    )


def _queue_referral(state: State, record: dict[str, Any], number: str, key: str) -> None:
    if number not in state["referrals"]:
        state["referrals"][number] = {"key": key, "applicant": record["applicant"]}
        _queue(state, {**record, "kind": "referral"}, key, datetime.now(UTC))


def _queue_report(state: State, case_ref: str) -> str | None:
    actions = {k: a for k, a in state["actions"].items() if a["case_ref"] == case_ref}
    if not actions:
        return None
    now = datetime.now(UTC)
    first = next(iter(actions.values()))
    number = state["next_number"]
    state["next_number"] = number + 1
    record = {
        "kind": "periodic_report",
        "case_ref": case_ref,
        "report_number": f"ЦЗН-ОТЧ-{now.year}-{number:05d}",
        "period": {
            "from": min(a["changed_at"][:10] for a in actions.values()),
            "to": now.date().isoformat(),
        },
        "centre": CENTRE,
        "plan_id": first["plan_id"],
        "measures": [
            {"action_id": action_id, "status": a["status"], "result": a["measure"]}
            for action_id, a in actions.items()
        ],
        "summary": "Мероприятия плана в части содействия занятости выполняются в срок",
    }
    key = str(uuid.uuid4())
    _queue(state, record, key, now)
    return key


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of ``python -m adapters.employment.simulator``."""
    run_simulator(argv, description=__doc__.splitlines()[0], create_app=create_app)


if __name__ == "__main__":
    main()
