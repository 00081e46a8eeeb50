"""The health system's native side of its gateway: FHIR R4 (JSON) create and batch.

- ``POST /ServiceRequest`` (a referral; its MessageId derives from ``identifier[0].value``,
  so the same referral is one message), ``POST /Task`` (an action's status),
  ``POST /Communication`` (an answer to an information request): the resources
  ``adapters.health.translate.to_canonical`` reads; for Task and Communication the
  ``Idempotency-Key`` header fixes the MessageId.
- ``POST /`` with a ``batch`` Bundle: each entry (``request.method`` POST, ``request.url``
  one of the three types) is handled as above, on its own (the entry's ``fullUrl`` is its
  idempotency key), and the answer is a ``batch-response`` Bundle, one entry per entry, in
  order, each with ``response.status`` and ``response.outcome``.

Every answer is, or carries, an OperationOutcome whose first issue's ``details.coding``
(system ``urn:family-hub:code``) is ``accepted`` or ``queued`` (with the hub id, MessageId
and gateway id in ``details.text`` as JSON), or the hub's code (``payload.invalid`` with the
element's FHIRPath in ``expression``, a hub refusal, ``gateway.spool_unavailable``):
201 accepted by the hub, 202 queued (the hub unreachable), 422 refused, 503 not kept.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from adapters.gateway.intake import (
    INVALID_PAYLOAD,
    InputRefused,
    Intake,
    Outcome,
    idempotent_message_id,
)
from adapters.gateway.rest import SPOOL_UNAVAILABLE
from adapters.gateway.spool import OutgoingState, SpoolUnavailable
from adapters.health.fhir import Element, validated
from adapters.health.translate import INBOUND_TYPES, message_id_for, to_canonical
from schemas import TranslationError

__all__ = ["CODE_SYSTEM", "routes"]

#: The coding system of the outcome's code: ``accepted``, ``queued`` or the hub's code.
CODE_SYSTEM = "urn:family-hub:code"
_FHIR_JSON = "application/fhir+json"
_REASONS = {201: "Created", 202: "Accepted", 422: "Unprocessable Entity", 503: "Unavailable"}


@dataclass(frozen=True)
class _Answer:
    """One resource's answer: its HTTP status and OperationOutcome."""

    status: int
    outcome: dict[str, object]


def routes(intake: Intake) -> list[Route]:
    """The health system's FHIR endpoints."""

    async def create(request: Request) -> Response:
        resource_type = request.path_params["resource_type"]
        try:
            resource = _json_object(await request.body())
            if resource.get("resourceType") != resource_type:
                raise InputRefused(INVALID_PAYLOAD, "resourceType", f"expected {resource_type}")
        except InputRefused as exc:
            return _response(_refused(exc))
        key = request.headers.get("Idempotency-Key")
        return _response(await run_in_threadpool(_submit, intake, resource, key))

    async def batch(request: Request) -> Response:
        try:
            bundle = _json_object(await request.body())
            entries = _batch_entries(bundle)
        except InputRefused as exc:
            return _response(_refused(exc))
        answers = [await run_in_threadpool(_entry, intake, entry) for entry in entries]
        return JSONResponse(
            {
                "resourceType": "Bundle",
                "type": "batch-response",
                "entry": [
                    {
                        "response": {
                            "status": f"{a.status} {_REASONS[a.status]}",
                            "outcome": a.outcome,
                        }
                    }
                    for a in answers
                ],
            },
            media_type=_FHIR_JSON,
        )

    return [
        Route("/", batch, methods=["POST"]),
        Route("/{resource_type:str}", create, methods=["POST"]),
    ]


def _json_object(body: bytes) -> dict[str, object]:
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputRefused(INVALID_PAYLOAD, "request", "body is not JSON") from exc
    if not isinstance(data, dict):
        raise InputRefused(INVALID_PAYLOAD, "request", "not a JSON object")
    return data


def _batch_entries(bundle: dict[str, object]) -> list[Element]:
    """The entries of a ``batch`` Bundle.

    Raises:
        InputRefused: not a Bundle of type batch.
    """
    try:
        validated(bundle, ("Bundle",))
        root = Element(bundle, "Bundle")
        root.code("type", {"batch": "batch"})
        return root.elements("entry")
    except TranslationError as exc:
        raise InputRefused(INVALID_PAYLOAD, exc.field, exc.reason) from exc


def _entry(intake: Intake, entry: Element) -> _Answer:
    try:
        request = entry.obj("request")
        request.code("method", {"POST": "POST"})
        resource_type = request.code("url", {t: t for t in INBOUND_TYPES})
        resource = entry.raw("resource")
        if not isinstance(resource, Mapping) or resource.get("resourceType") != resource_type:
            raise TranslationError(entry.path("resource"), f"expected a {resource_type}")
        key = entry.optional_text("fullUrl")
    except TranslationError as exc:
        return _refused(InputRefused(INVALID_PAYLOAD, exc.field, exc.reason))
    return _submit(intake, dict(resource), key)


def _submit(intake: Intake, resource: dict[str, object], key: str | None) -> _Answer:
    try:
        message_id = _message_id(intake.code, resource, key)
        outcome = intake.submit(
            message_id, lambda mid, now: to_canonical(resource, message_id=mid, now=now)
        )
    except TranslationError as exc:
        return _refused(InputRefused(INVALID_PAYLOAD, exc.field, exc.reason))
    except InputRefused as exc:
        return _refused(exc)
    except SpoolUnavailable:
        return _Answer(503, _outcome("error", "transient", SPOOL_UNAVAILABLE))
    return _answer(outcome)


def _message_id(code: str, resource: dict[str, object], key: str | None) -> str:
    if resource.get("resourceType") == "ServiceRequest":
        referral = Element(resource, "ServiceRequest").first("identifier").text("value")
        return message_id_for(referral)
    return idempotent_message_id(code, key)


def _answer(outcome: Outcome) -> _Answer:
    entry = outcome.entry
    ids: dict[str, object] = {"gateway_id": entry.gateway_id, "message_id": entry.message_id}
    if entry.state is OutgoingState.SENT:
        text = {**ids, "hub_id": entry.hub_id, "recipients": list(entry.recipients)}
        return _Answer(201, _outcome("information", "informational", "accepted", text))
    if entry.state is OutgoingState.REFUSED:
        code = entry.code or "hub.refused"
        return _Answer(422, _outcome("error", "processing", code, {**ids, "detail": entry.detail}))
    return _Answer(202, _outcome("information", "informational", "queued", ids))


def _refused(exc: InputRefused) -> _Answer:
    issue_type = "required" if exc.reason == "missing" else "invalid"
    outcome = _outcome("error", issue_type, exc.code, diagnostics=exc.reason)
    issue = outcome["issue"]
    assert isinstance(issue, list)
    issue[0]["expression"] = [exc.field]
    return _Answer(422, outcome)


def _outcome(
    severity: str,
    issue_type: str,
    code: str,
    text: Mapping[str, object] | None = None,
    *,
    diagnostics: str | None = None,
) -> dict[str, object]:
    issue: dict[str, object] = {
        "severity": severity,
        "code": issue_type,
        "details": {"coding": [{"system": CODE_SYSTEM, "code": code}]},
    }
    if text is not None:
        details = issue["details"]
        assert isinstance(details, dict)
        details["text"] = json.dumps(text, ensure_ascii=False)
    if diagnostics is not None:
        issue["diagnostics"] = diagnostics
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def _response(answer: _Answer) -> Response:
    headers = {"Retry-After": "60"} if answer.status == 503 else None
    return JSONResponse(answer.outcome, answer.status, headers=headers, media_type=_FHIR_JSON)
