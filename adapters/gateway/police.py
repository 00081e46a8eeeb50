"""The police system's native side of its gateway: signals and answers as JSON records, and
the hub's notifications pulled as JSON records (the unit's SMEV-3-style pull, kept).

In: ``POST /referrals`` takes a signal record (``kusp_number``, ``registered_at``, ``unit``
…, the shape ``adapters.police.translate.to_canonical`` reads); its MessageId is derived from
the КУСП number, so registering the same record twice is one message. ``POST /answers``
takes the unit's answer to an information request (``request_message_id``,
``request_number``, ``answered_at``, ``conduct`` …); its MessageId is derived from the
request's, so a request is answered once. Answers as ``adapters.gateway.rest`` says.

Out: the police system pulls, as it pulls the hub today, but native records instead of
signed XML. ``GET /notifications?limit=N`` lists what waits in the unit's hub inbox, each
verified against the CA and translated (``{"notifications": [{"delivery_id",
"message_id", "message_type", "record"}]}``, ``record`` as
``adapters.police.translate.from_canonical`` writes it); ``POST
/notifications/{delivery_id}/ack`` acknowledges one once the system stored it, and only
then does the gateway ack it at the hub. A listed notification not acked comes back after
the hub's lease; the system de-duplicates by ``message_id``. A message that does not verify
or translate is recorded in the spool and acked by the gateway (listing it could not help).
Errors: 503 ``{"code": "gateway.hub_unreachable"}``, or the hub's refusal with its code.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from adapters.gateway.intake import Intake
from adapters.gateway.rest import json_route
from adapters.gateway.spool import IncomingState
from adapters.hub_client import HubRefused, HubUnreachable, InboxItem
from adapters.native import Fields
from adapters.police.translate import (
    answer_id_for,
    answer_to_canonical,
    from_canonical,
    message_id_for,
    to_canonical,
)
from schemas import TranslationError

__all__ = ["HUB_UNREACHABLE", "routes"]

#: The gateway's code when the hub cannot be asked now.
HUB_UNREACHABLE = "gateway.hub_unreachable"
#: The most notifications one listing gives.
MAX_LIMIT = 100


def routes(intake: Intake) -> list[Route]:
    """The police system's native routes."""

    async def notifications(request: Request) -> Response:
        try:
            limit = int(request.query_params.get("limit", "20"))
        except ValueError:
            limit = 0
        if not 1 <= limit <= MAX_LIMIT:
            return JSONResponse(
                {"code": "request.invalid", "field": "limit", "reason": f"1 … {MAX_LIMIT}"}, 422
            )
        return await _hub_call(lambda: {"notifications": _offer(intake, limit)})

    async def ack(request: Request) -> Response:
        delivery_id = int(request.path_params["delivery_id"])

        def acknowledge() -> dict[str, object]:
            intake.hub.ack(delivery_id)
            intake.spool.acknowledge_incoming(delivery_id, now=time.time())
            return {"delivery_id": delivery_id, "status": "acknowledged"}

        return await _hub_call(acknowledge)

    return [
        json_route("/referrals", intake, to_canonical, _signal_id),
        json_route("/answers", intake, answer_to_canonical, _answer_id),
        Route("/notifications", notifications, methods=["GET"]),
        Route("/notifications/{delivery_id:int}/ack", ack, methods=["POST"]),
    ]


def _offer(intake: Intake, limit: int) -> list[dict[str, object]]:
    """The notifications waiting in the hub inbox; the unreadable ones recorded and acked."""
    offered: list[dict[str, object]] = []
    for item in intake.hub.poll_inbox(limit):
        record, problem = _native(item)
        state = IncomingState.REJECTED if record is None else IncomingState.OFFERED
        intake.spool.record_incoming(
            item.delivery_id, item.message_id, item.message_type, state, problem, now=time.time()
        )
        if record is None:
            intake.hub.ack(item.delivery_id)
            continue
        offered.append(
            {
                "delivery_id": item.delivery_id,
                "message_id": item.message_id,
                "message_type": item.message_type,
                "record": record,
            }
        )
    return offered


def _native(item: InboxItem) -> tuple[dict[str, object] | None, str | None]:
    if item.envelope is None:
        return None, item.problem
    try:
        return from_canonical(item.envelope), None
    except TranslationError as exc:
        return None, f"not translatable: {exc.field}: {exc.reason}"


async def _hub_call(call: Callable[[], dict[str, object]]) -> Response:
    try:
        return JSONResponse(await run_in_threadpool(call))
    except HubUnreachable as exc:
        return JSONResponse({"code": HUB_UNREACHABLE, "detail": str(exc)}, 503)
    except HubRefused as exc:
        return JSONResponse({"code": exc.code, "detail": exc.detail}, exc.status)


def _signal_id(_request: Request, record: Mapping[str, object]) -> str:
    return message_id_for(Fields(record).text("kusp_number"))


def _answer_id(_request: Request, record: Mapping[str, object]) -> str:
    return answer_id_for(Fields(record).text("request_message_id"))
