"""The native JSON form shared by the partner systems that speak REST/JSON (police, social
centre, employment centre): one route per record kind, and the answers.

Answers (``application/json``):

- 200 ``{"status": "accepted", "gateway_id", "message_id", "hub_id", "recipients",
  "duplicate"}``: the hub took the message;
- 202 ``{"status": "queued", "gateway_id", "message_id", "detail"}``: the hub is not
  reachable now; the gateway has the message and sends it later;
- 422 ``{"code", "field", "reason"}``: the record does not translate or validate (nothing
  kept); ``{"code", "detail", "gateway_id", "message_id"}``: the hub refused it;
- 503 ``{"code": "gateway.spool_unavailable", "detail"}``: the gateway cannot keep anything
  now (disk full): send the record again later.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

from lxml import etree
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
from adapters.gateway.spool import OutgoingState, SpoolUnavailable
from schemas import TranslationError

__all__ = [
    "SPOOL_UNAVAILABLE",
    "MessageIdOf",
    "ToCanonical",
    "json_route",
    "keyed_message_id",
]

#: The gateway's own code when its spool cannot take a message.
SPOOL_UNAVAILABLE = "gateway.spool_unavailable"

#: A partner's native → canonical translation (its ``translate.to_canonical``).
ToCanonical = Callable[..., etree._Element]
#: The MessageId of a record: from the record itself or the request's Idempotency-Key.
MessageIdOf = Callable[[Request, Mapping[str, object]], str]


def keyed_message_id(code: str) -> MessageIdOf:
    """MessageIds from the ``Idempotency-Key`` header (a fresh one without it)."""

    def message_id_of(request: Request, _record: Mapping[str, object]) -> str:
        return idempotent_message_id(code, request.headers.get("Idempotency-Key"))

    return message_id_of


def json_route(
    path: str, intake: Intake, to_canonical: ToCanonical, message_id_of: MessageIdOf
) -> Route:
    """``POST path``: one native JSON record → the hub, answered as the module says."""

    async def endpoint(request: Request) -> Response:
        try:
            record = json.loads(await request.body())
            if not isinstance(record, dict):
                raise InputRefused(INVALID_PAYLOAD, "body", "not a JSON object")
            message_id = message_id_of(request, record)
            outcome = await run_in_threadpool(
                intake.submit,
                message_id,
                lambda mid, now: to_canonical(record, message_id=mid, now=now),
            )
        except (json.JSONDecodeError, UnicodeDecodeError):
            return refusal(InputRefused(INVALID_PAYLOAD, "body", "not JSON"))
        except TranslationError as exc:
            return refusal(InputRefused(INVALID_PAYLOAD, exc.field, exc.reason))
        except InputRefused as exc:
            return refusal(exc)
        except SpoolUnavailable as exc:
            return spool_unavailable(exc)
        return answer(outcome)

    return Route(path, endpoint, methods=["POST"])


def answer(outcome: Outcome) -> JSONResponse:
    """The native answer to a spooled message, by its state."""
    entry = outcome.entry
    ids = {"gateway_id": entry.gateway_id, "message_id": entry.message_id}
    if entry.state is OutgoingState.SENT:
        return JSONResponse(
            {
                "status": "accepted",
                **ids,
                "hub_id": entry.hub_id,
                "recipients": list(entry.recipients),
                "duplicate": entry.duplicate,
            }
        )
    if entry.state is OutgoingState.REFUSED:
        return JSONResponse({"code": entry.code, "detail": entry.detail, **ids}, 422)
    return JSONResponse(
        {"status": "queued", **ids, "detail": "the hub is not reachable; the gateway sends later"},
        202,
    )


def refusal(exc: InputRefused) -> JSONResponse:
    """A record the gateway refuses before keeping it."""
    return JSONResponse({"code": exc.code, "field": exc.field, "reason": exc.reason}, 422)


def spool_unavailable(exc: SpoolUnavailable) -> JSONResponse:
    """Nothing can be kept now: the caller must send again later."""
    return JSONResponse(
        {"code": SPOOL_UNAVAILABLE, "detail": type(exc).__name__},
        503,
        headers={"Retry-After": "60"},
    )
