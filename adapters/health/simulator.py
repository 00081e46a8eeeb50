"""A simulated health system (perinatal centre): a small FHIR R4 server and its doctors' desk.

``POST /fhir/<type>`` (Task, CommunicationRequest, Communication, ServiceRequest) and
``POST /fhir`` (a transaction Bundle) take what ``HealthTransport`` sends, each resource
validated with the R4B models; anything invalid is answered with an OperationOutcome (400
unreadable, 422 invalid, 503 during an outage). A resource is stored once per
``X-Hub-Message-Id``: a repeat answers the same ``<type>/<id>`` and changes nothing. What
the system does on its own, each reply queued in the same state write and posted as a FHIR
resource (``POST /Task``, ``/Communication``) to the centre's gateway until it has it
(CorrelationId = the MessageId it answers, CaseRef kept):

- a ``requested`` Task (an ActionAssignment, or a SupportPlan's Task for health): the action
  is registered and answered with the Task ``accepted``; after ``step_s`` seconds (or on
  ``POST /control/advance``) with the Task ``completed`` and its evidence;
- a CommunicationRequest (InformationRequest): answered with a Communication whose content
  is HealthInformation;
- a CaseClosure notice: the case's open actions stop.

``POST /referrals`` is the doctor's desk: a ServiceRequest (FHIR JSON) becomes a
FamilyReferral (the gateway derives its MessageId from its identifier, so registering it
again is a duplicate), queued and posted to the gateway at once; 202 with its fate, or 422
with an OperationOutcome.
``GET /state``, ``POST /control/outage`` and ``POST /control/advance`` as the other simulators.

Run: ``python -m adapters.health.simulator --port 8104 --state-dir var/health
--gateway http://127.0.0.1:8204`` (``hub gateway run health … --system
http://127.0.0.1:8104``); ``--organisation "ГБУЗ …"`` makes it another hospital (of
another region), which answers under that name alone.

State (``state.json``)::

    {"inbox": {<message_id>: {"message_type", "resource_type", "reference", "references",
                              "case_ref", "delivery_id", "received_at", "deliveries", "resource"}},
     "actions": {<action_id>: {"case_ref", "plan_id", "measure", "message_id", "priority",
                               "status", "changed_at", "closed"}},
     "referrals": {<referral_id>: {"key", "registered_at"}},
     "next_id": 1, "organisation": <its name, when not CENTRE's>,
     "outbox": [<ReplyOutbox entries>]}
"""

from __future__ import annotations

import argparse
import functools
import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from adapters.health.contained import party_resources
from adapters.health.fhir import (
    EXT_ENVELOPE,
    FHIR_JSON,
    SYS_ACTION,
    SYS_NOTICE,
    SYS_PLAN,
    SYS_REQUEST,
    SYS_TASK_OUTPUT,
    Element,
    operation_outcome,
    validated,
)
from adapters.health.translate import to_canonical
from adapters.simulation import (
    REPLY_INTERVAL_S,
    BackgroundLoop,
    GatewayAnswer,
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
)
from schemas import TranslationError
from schemas import canonical as c

__all__ = ["ACTION_STEP_S", "CENTRE", "DOCTOR", "create_app", "fhir_answer", "main"]

CENTRE: Final = c.Organisation(
    name="ГБУЗ «Камчатский краевой перинатальный центр»",
    department="кабинет медико-социальной помощи",
)
DOCTOR: Final = c.Specialist(
    name=c.PersonName(last="Соколова", first="Ирина", middle="Викторовна"),
    position="заведующая кабинетом медико-социальной помощи",
    phone="+7 4152 23-45-60",
)
#: How long an accepted action waits before the centre completes it, in seconds.
ACTION_STEP_S: Final = 5.0
#: The resource types the centre's FHIR API creates one by one.
RESOURCE_TYPES: Final = ("Task", "CommunicationRequest", "Communication", "ServiceRequest")
#: uuid5 namespace of the centre's replies, by what they answer: a resend keeps its MessageId.
_NAMESPACE: Final = uuid.UUID("5d0f3c8e-7a41-5b6e-9c2d-8e1f4a7b3c60")
_ANSWER: Final = (
    "Семья наблюдается в перинатальном центре; сведения о состоянии здоровья "
    "предоставлены в объёме, необходимом для сопровождения"
)


def _outcome(
    status: int,
    field: str,
    reason: str,
    code: str = "invalid",
    headers: dict[str, str] | None = None,
) -> Response:
    return JSONResponse(
        operation_outcome(field, reason, code=code), status, headers=headers, media_type=FHIR_JSON
    )


def create_app(
    state_dir: Path,
    gateway: GatewayClient,
    *,
    step_s: float = ACTION_STEP_S,
    organisation: str | None = None,
) -> Starlette:
    """The centre's web app; its reply and action loops run while the app serves.

    ``organisation``: the hospital's name when it is not ``CENTRE`` (its answers then
    name no doctor of CENTRE's).
    """
    store = StateStore(
        state_dir / "state.json",
        {"inbox": {}, "actions": {}, "referrals": {}, "next_id": 1, "organisation": None},
    )
    store.update(lambda state: state.update(organisation=organisation))
    outbox = ReplyOutbox(store, gateway, fhir_answer)
    outage = OutageSwitch()

    async def create(request: Request) -> Response:
        failure = outage.take()
        if failure is not None:
            return _outcome(failure, "request", "outage", "transient", headers={"Retry-After": "1"})
        resource_type = request.path_params.get("resource_type", "Bundle")
        if resource_type not in (*RESOURCE_TYPES, "Bundle"):
            return _outcome(404, "request", f"no {resource_type} endpoint", "not-supported")
        message_id = request.headers.get("X-Hub-Message-Id")
        if not message_id:
            return _outcome(400, "X-Hub-Message-Id", "missing", "required")
        try:
            resource = json.loads(await request.body())
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _outcome(400, "request", "body is not JSON", "structure")
        try:
            resource = validated(resource, (resource_type,))
            if resource_type == "Bundle":
                Element(resource, "Bundle").code("type", {"transaction": "transaction"})
        except TranslationError as exc:
            return _outcome(422, exc.field, exc.reason)
        delivery_id = request.headers.get("X-Hub-Delivery-Id")
        entry = store.update(lambda state: _receive(state, message_id, delivery_id, resource))
        return _created(entry)

    async def register_referral(request: Request) -> Response:
        try:
            resource = json.loads(await request.body())
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _outcome(400, "request", "body is not JSON", "structure")
        try:
            validated(resource, ("ServiceRequest",))
            referral_id = Element(resource, "ServiceRequest").first("identifier").text("value")
            key = store.update(lambda state: _queue_referral(state, resource, referral_id))
        except TranslationError as exc:
            return _outcome(422, exc.field, exc.reason)
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
                "message_type": entry["message_type"],
                "resource_type": entry["resource_type"],
                "reference": entry["reference"],
                "case_ref": entry["case_ref"],
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
                "deliveries": sum(item["deliveries"] for item in received),
                "actions": len(state["actions"]),
            },
        )

    loops: Sequence[BackgroundLoop] = [
        BackgroundLoop("health-replies", outbox.send_pending, REPLY_INTERVAL_S),
        BackgroundLoop("health-actions", functools.partial(advance, step_s), step_s),
    ]
    return Starlette(
        routes=[
            Route("/fhir", create, methods=["POST"]),
            Route("/fhir/{resource_type}", create, methods=["POST"]),
            Route("/referrals", register_referral, methods=["POST"]),
            Route("/control/advance", post_advance, methods=["POST"]),
            *control_routes(outage, state_view),
        ],
        lifespan=lifespan_of(loops),
    )


def _created(entry: dict[str, Any]) -> Response:
    """201 with the created resource's reference (200 for a repeat); a Bundle's response."""
    status = 201 if entry["deliveries"] == 1 else 200
    reference: str = entry["reference"]
    resource_type, resource_id = reference.split("/")
    if resource_type == "Bundle":
        body: dict[str, object] = {
            "resourceType": "Bundle",
            "id": resource_id,
            "type": "transaction-response",
            "entry": [
                {"response": {"status": "201 Created", "location": location}}
                for location in entry["references"]
            ],
        }
    else:
        body = {**entry["resource"], "id": resource_id}
    return JSONResponse(
        body, status, headers={"Location": f"/fhir/{reference}"}, media_type=FHIR_JSON
    )


def _envelope_facts(resource: dict[str, Any]) -> dict[str, str]:
    """The hub's envelope facts of an outbound resource (``…:envelope`` extension)."""
    for extension in resource.get("extension", []):
        if extension.get("url") == EXT_ENVELOPE:
            return {
                part["url"]: part.get("valueString") or part.get("valueDateTime")
                for part in extension.get("extension", [])
            }
    return {}


def _receive(
    state: State, message_id: str, delivery_id: str | None, resource: dict[str, Any]
) -> dict[str, Any]:
    """Store one delivery; act on a new one (register actions, answer a request, close)."""
    inbox = state["inbox"]
    if message_id in inbox:
        inbox[message_id]["deliveries"] += 1
        return dict(inbox[message_id])
    now = datetime.now(UTC)
    resources = (
        [entry["resource"] for entry in resource.get("entry", [])]
        if resource["resourceType"] == "Bundle"
        else [resource]
    )
    references = []
    for item in resources:
        references.append(f"{item['resourceType']}/{state['next_id']}")
        state["next_id"] += 1
    if resource["resourceType"] == "Bundle":
        reference = f"Bundle/{state['next_id']}"
        state["next_id"] += 1
    else:
        reference = references[0]
    facts = _envelope_facts(resources[0]) if resources else {}
    inbox[message_id] = {
        "message_type": facts.get("messageType"),
        "resource_type": resource["resourceType"],
        "reference": reference,
        "references": references,
        "case_ref": facts.get("caseRef"),
        "delivery_id": delivery_id,
        "received_at": now.isoformat(),
        "deliveries": 1,
        "resource": resource,
    }
    for item in resources:
        _act_on(state, message_id, item, now)
    return dict(inbox[message_id])


def _act_on(state: State, message_id: str, resource: dict[str, Any], now: datetime) -> None:
    kind = resource["resourceType"]
    case_ref = _envelope_facts(resource).get("caseRef")
    if kind == "Task" and resource.get("status") == "requested":
        _register_action(state, message_id, resource, case_ref, now)
    elif kind == "CommunicationRequest":
        _answer(state, message_id, resource, case_ref, now)
    elif kind == "Communication" and _is_closure(resource):
        for action in state["actions"].values():
            if action["case_ref"] == case_ref:
                action["closed"] = True


def _is_closure(resource: dict[str, Any]) -> bool:
    category = Element(resource, "Communication").optional_first("category")
    notice = None if category is None else category.coding(SYS_NOTICE)
    return notice is not None and notice.raw("code") == "CaseClosure"


def _identifier(resource: dict[str, Any], system: str) -> str | None:
    for identifier in resource.get("identifier", []):
        if identifier.get("system") == system:
            return str(identifier["value"])
    return None


def _register_action(
    state: State,
    message_id: str,
    task: dict[str, Any],
    case_ref: str | None,
    now: datetime,
) -> None:
    action_id = _identifier(task, SYS_ACTION)
    if action_id is None or action_id in state["actions"]:
        return  # the plan and an assignment may both carry it; a revision repeats it
    plan_id = next(
        (
            based_on["identifier"]["value"]
            for based_on in task.get("basedOn", [])
            if based_on.get("identifier", {}).get("system") == SYS_PLAN
        ),
        None,
    )
    state["actions"][action_id] = {
        "case_ref": case_ref,
        "plan_id": plan_id,
        "measure": task.get("description"),
        "message_id": message_id,
        "priority": task.get("priority", "routine"),
        "status": "accepted",
        "accepted_at": now.isoformat(),
        "changed_at": now.isoformat(),
        "closed": False,
    }
    _queue_status(state, action_id, "Мероприятие принято к исполнению", now)


def _answering(case_ref: str | None, message_id: str) -> list[dict[str, object]]:
    """The ``…:envelope`` extension of a reply: the case and the message it answers."""
    parts: list[dict[str, object]] = [{"url": "correlationId", "valueString": message_id}]
    if case_ref is not None:
        parts.insert(0, {"url": "caseRef", "valueString": case_ref})
    return [{"url": EXT_ENVELOPE, "extension": parts}]


def _queue_status(state: State, action_id: str, note: str, now: datetime) -> None:
    """Queue the Task of the action's current status, as the centre's system writes it."""
    action = state["actions"][action_id]
    contained, owner = _parties(state)
    done = action["status"] == "completed"
    task: dict[str, object] = {
        "resourceType": "Task",
        "contained": contained,
        "extension": _answering(action["case_ref"], action["message_id"]),
        "identifier": [{"system": SYS_ACTION, "value": action_id}],
        "status": action["status"],
        "intent": "order",
        "priority": action["priority"],
        "lastModified": now.isoformat(),
        "owner": owner,
        "executionPeriod": {"start": action["accepted_at"][:10]}
        | ({"end": now.date().isoformat()} if done else {}),
        "note": [{"text": note}],
    }
    if action["plan_id"] is not None:
        task["basedOn"] = [
            {"type": "CarePlan", "identifier": {"system": SYS_PLAN, "value": action["plan_id"]}}
        ]
    if done:
        task["output"] = [
            {
                "type": {"coding": [{"system": SYS_TASK_OUTPUT, "code": "evidence"}]},
                "valueString": f"Медицинское заключение по мероприятию {action_id}",
            }
        ]
    _queue(state, task, str(uuid.uuid5(_NAMESPACE, f"status:{action_id}:{action['status']}")), now)


def _name(state: State) -> str:
    return str(state.get("organisation") or CENTRE.name)


def _parties(state: State) -> tuple[list[dict[str, object]], dict[str, object] | None]:
    """The contained Organization (and Practitioner) a Task names as its owner."""
    if state.get("organisation"):
        return party_resources(c.Organisation(name=_name(state)), None)
    return party_resources(CENTRE, DOCTOR)


def _advance(state: State, now: datetime, min_age_s: float) -> int:
    """Complete each open accepted action that waited ``min_age_s``; return how many."""
    moved = 0
    for action_id, action in state["actions"].items():
        age_s = (now - datetime.fromisoformat(action["changed_at"])).total_seconds()
        if action["status"] != "accepted" or action["closed"] or age_s < min_age_s:
            continue
        action["status"] = "completed"
        action["changed_at"] = now.isoformat()
        _queue_status(state, action_id, f"Исполнено: {action['measure'] or action_id}", now)
        moved += 1
    return moved


def _answer(
    state: State,
    message_id: str,
    request: dict[str, Any],
    case_ref: str | None,
    now: datetime,
) -> None:
    """Queue the Communication answering an information request with medical content."""
    request_id = _identifier(request, SYS_REQUEST)
    if request_id is None:
        return
    contained, sender = party_resources(c.Organisation(name=_name(state)), None)
    communication = {
        "resourceType": "Communication",
        "contained": contained,
        "extension": _answering(case_ref, message_id),
        "basedOn": [
            {
                "type": "CommunicationRequest",
                "identifier": {"system": SYS_REQUEST, "value": request_id},
            }
        ],
        "status": "completed",
        "priority": request.get("priority", "routine"),
        "sent": now.isoformat(),
        "sender": sender,
        "payload": [{"contentString": _ANSWER}],
    }
    _queue(state, communication, str(uuid.uuid5(_NAMESPACE, f"answer:{message_id}")), now)


def _queue(state: State, resource: dict[str, Any], key: str, now: datetime) -> None:
    """Queue a resource for ``POST /<resourceType>`` at the gateway."""
    ReplyOutbox.add_record(
        state,
        key=key,
        path=f"/{resource['resourceType']}",
        record=resource,
        translate=to_canonical,
        now=now,
    )


def _queue_referral(state: State, resource: dict[str, Any], referral_id: str) -> str:
    """Queue a doctor's referral once; return its key (the gateway derives the MessageId
    from the referral's identifier)."""
    key = str(uuid.uuid5(_NAMESPACE, f"referral:{referral_id}"))
    if referral_id not in state["referrals"]:
        state["referrals"][referral_id] = {
            "key": key,
            "registered_at": datetime.now(UTC).isoformat(),
        }
        _queue(state, resource, key, datetime.now(UTC))
    return key


def fhir_answer(response: httpx.Response) -> GatewayAnswer:
    """The gateway's OperationOutcome (``adapters.gateway.health``): 201 taken by the hub,
    202 queued in the gateway, 422 refused with the hub's code, anything else: retry."""
    try:
        issue = response.json()["issue"][0]
        code = str(issue["details"]["coding"][0]["code"])
        facts = json.loads(issue["details"].get("text", "{}"))
    except (ValueError, KeyError, IndexError, TypeError):
        return GatewayAnswer("retry", code=f"http.{response.status_code}")
    if response.status_code in (201, 202):
        return GatewayAnswer("taken", str(facts.get("message_id")), body=facts)
    if response.status_code == 422:
        return GatewayAnswer("refused", code=code, body=facts)
    return GatewayAnswer("retry", code=code)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of ``python -m adapters.health.simulator``."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--organisation")
    known, rest = parser.parse_known_args(argv)
    run_simulator(
        rest,
        description=__doc__.splitlines()[0],
        create_app=functools.partial(create_app, organisation=known.organisation),
    )


if __name__ == "__main__":
    main()
