"""A simulated police system (ПДН / дежурная часть): registers signals, pulls its notifications.

It talks only to the unit's gateway (``hub gateway run police``), in JSON records.
``POST /referrals`` takes a native signal record as an officer registers it and hands it to
the gateway's ``POST /referrals`` (which derives the MessageId from the КУСП number, so
re-registering the same record is a duplicate at the hub), answering with the hub's receipt
as the gateway reports it. A background loop lists the gateway's ``GET /notifications``
every ``POLL_INTERVAL_S`` (what waits in the unit's hub inbox, verified and translated by the
gateway), stores each once per MessageId and acks it there. ``POST /control/outage`` skips
the next N polls (the police system "offline"), so messages wait in the hub.

Automatically: an InformationRequest is answered, in the same state write that stores it,
with the unit's answer record (``POST /answers`` at the gateway, which derives its MessageId
from the request's, so a redelivered request is answered once). Its conduct information
comes from the unit's own records: if the unit itself signalled the family (a receipt on
the same case answers one of its КУСП records), "состоит на профилактическом учёте";
otherwise "на учёте в ПДН не состоит". Replies wait in the state's outbox until the gateway
has them.

Run: ``python -m adapters.police.simulator --port 8103 --state-dir var/police
--gateway http://127.0.0.1:8203`` (``hub gateway run police …``).

State (``state.json``)::

    {"sent": {<kusp_number>: {"message_id", "hub_id", "duplicate", "sent_at", "deliveries"}},
     "received": {<message_id>: {"delivery_ids", "received_at", "notification"}},
     "outbox": [<ReplyOutbox entries>]}
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from adapters.police.translate import answer_to_canonical
from adapters.simulation import (
    REPLY_INTERVAL_S,
    BackgroundLoop,
    GatewayClient,
    GatewayUnreachable,
    OutageSwitch,
    ReplyOutbox,
    State,
    StateStore,
    control_routes,
    count_by_type,
    json_answer,
    lifespan_of,
    run_simulator,
)

__all__ = ["create_app", "main"]

#: How often the police system asks its gateway for new notifications, in seconds.
POLL_INTERVAL_S: Final = 0.3
#: How many notifications one poll lists.
POLL_BATCH: Final = 20


def create_app(state_dir: Path, gateway: GatewayClient) -> Starlette:
    """The police system's web app; its notification loop runs while the app serves."""
    store = StateStore(state_dir / "state.json", {"sent": {}, "received": {}})
    outbox = ReplyOutbox(store, gateway)
    outage = OutageSwitch()

    async def register_referral(request: Request) -> Response:
        raw = await request.body()
        try:
            kusp_number = json.loads(raw)["kusp_number"]
        except (json.JSONDecodeError, UnicodeDecodeError, TypeError, KeyError):
            return JSONResponse({"field": "kusp_number", "reason": "missing or not JSON"}, 422)
        try:
            response = await run_in_threadpool(
                gateway.request,
                "POST",
                "/referrals",
                content=raw,
                headers={"Content-Type": "application/json"},
            )
        except GatewayUnreachable as exc:
            return JSONResponse({"detail": str(exc)}, 503)
        answer = json_answer(response)
        body = dict(answer.body or {})
        if answer.outcome == "refused":
            return JSONResponse(body, 422)
        if answer.outcome == "retry":
            return JSONResponse(body or {"detail": response.text}, 503)
        recipients = body.get("recipients")
        sent = {
            "message_id": answer.message_id,
            "hub_id": body.get("hub_id"),
            "duplicate": bool(body.get("duplicate")),
            "status": body.get("status"),
            "sent_at": datetime.now(UTC).isoformat(),
            "deliveries": [
                {"recipient": recipient, "status": "accepted"}
                for recipient in (recipients if isinstance(recipients, list) else [])
            ],
        }
        store.update(lambda state: state["sent"].__setitem__(str(kusp_number), sent))
        return JSONResponse(sent, 202)

    def poll() -> None:
        if outage.take() is not None:
            return
        listing = gateway.request("GET", "/notifications", params={"limit": str(POLL_BATCH)})
        listing.raise_for_status()
        for item in listing.json()["notifications"]:
            store.update(functools.partial(_store_notification, item=item))
            gateway.request("POST", f"/notifications/{item['delivery_id']}/ack").raise_for_status()

    def state_view() -> object:
        state = store.read()
        sent = [
            {
                "message_id": entry["message_id"],
                "message_type": "FamilyReferral",
                "kusp_number": kusp_number,
                "duplicate": entry["duplicate"],
            }
            for kusp_number, entry in state["sent"].items()
        ]
        received = [
            {
                "message_id": message_id,
                "message_type": entry["notification"]["hub"]["message_type"],
                "sender": entry["notification"]["hub"]["sender"],
                "correlation_id": entry["notification"]["hub"].get("correlation_id"),
                "case_ref": entry["notification"]["hub"].get("case_ref"),
                "kind": entry["notification"]["kind"],
                "deliveries": len(entry["delivery_ids"]),
            }
            for message_id, entry in state["received"].items()
        ]
        replies = ReplyOutbox.summary(state)
        return {
            "sent": sent,
            "received": received,
            "replies": replies,
            "counts": {
                "sent": len(sent),
                "received": count_by_type(received),
                "replies": count_by_type(replies["sent"]),
                "pending": len(replies["pending"]),
            },
        }

    return Starlette(
        routes=[
            Route("/referrals", register_referral, methods=["POST"]),
            *control_routes(outage, state_view),
        ],
        lifespan=lifespan_of(
            [
                BackgroundLoop("police-inbox", poll, POLL_INTERVAL_S),
                BackgroundLoop("police-replies", outbox.send_pending, REPLY_INTERVAL_S),
            ]
        ),
    )


def _store_notification(state: State, *, item: dict[str, Any]) -> None:
    """Keep one notification per MessageId (a listing after a lost ack repeats it)."""
    notification = item["record"]
    message_id = notification["hub"]["message_id"]
    if message_id not in state["received"] and notification["kind"] == "information_request":
        _answer(state, notification)
    entry = state["received"].setdefault(
        message_id,
        {
            "delivery_ids": [],
            "received_at": datetime.now(UTC).isoformat(),
            "notification": notification,
        },
    )
    entry["delivery_ids"].append(item["delivery_id"])


UNIT: Final = {
    "unit": "ОМВД России по Елизовскому району",
    "department": "отделение по делам несовершеннолетних",
}


def _answer(state: State, request: dict[str, Any]) -> None:
    """Queue the unit's answer to an information request notification."""
    hub = request["hub"]
    case_ref = hub.get("case_ref")
    # The unit's own signals on this case: receipts on the case name the referral they answer.
    answered = {
        n["notification"].get("referral_message_id")
        for n in state["received"].values()
        if n["notification"]["kind"] == "receipt"
        and case_ref is not None
        and n["notification"]["hub"].get("case_ref") == case_ref
    }
    kusp = next((k for k, sent in state["sent"].items() if sent["message_id"] in answered), None)
    if kusp is None:
        conduct = (
            "На учёте в ПДН не состоит, к административной ответственности "
            "по ст. 5.35 КоАП РФ не привлекался(ась)"
        )
    else:
        conduct = f"Семья состоит на профилактическом учёте в ПДН (материал {kusp})"
    now = datetime.now(UTC)
    record = {
        **UNIT,
        "request_message_id": hub["message_id"],
        "case_ref": case_ref,
        "request_number": request["request_number"],
        "answered_at": now.isoformat(),
        "conduct": conduct,
        "note": f"Сведения по состоянию на {now.date():%d.%m.%Y}",
    }
    ReplyOutbox.add_record(
        state,
        # The gateway derives the answer's MessageId from the request's.
        key=f"answer:{hub['message_id']}",
        path="/answers",
        record={k: v for k, v in record.items() if v is not None},
        translate=answer_to_canonical,
        now=now,
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of ``python -m adapters.police.simulator``."""
    run_simulator(argv, description=__doc__.splitlines()[0], create_app=create_app)


if __name__ == "__main__":
    main()
