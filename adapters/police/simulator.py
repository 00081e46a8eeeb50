"""A simulated police system (ПДН / дежурная часть): registers signals, pulls its hub inbox.

``POST /referrals`` takes a native signal record as an officer registers it, translates it
(MessageId = uuid5 of the КУСП number, so re-registering the same record is a duplicate at
the hub), signs and sends it, and answers with the hub's receipt. A background loop polls
the hub inbox every ``POLL_INTERVAL_S``, stores each verified message once per MessageId as
a notification, and acks it. ``POST /control/outage`` skips the next N polls (the police
system "offline"), so messages wait in the hub.

Automatically: an InformationRequest is answered, in the same state write that stores it,
with an InformationResponse (CorrelationId = the request's MessageId, CaseRef kept; MessageId
derived from the request's, so a redelivered request is answered once). Its conduct
information comes from the unit's own records: if the unit itself signalled the family (a
receipt on the same case answers one of its КУСП records), "состоит на профилактическом
учёте"; otherwise "на учёте в ПДН не состоит". Replies wait in the state's outbox and go
out through the hub client until the hub has them.

Run: ``python -m adapters.police.simulator --port 8103 --state-dir var/police
--hub-url http://127.0.0.1:8000 --credentials var/pki/partners/police``.

State (``state.json``)::

    {"sent": {<kusp_number>: {"message_id", "hub_id", "duplicate", "sent_at", "deliveries"}},
     "received": {<message_id>: {"delivery_ids", "received_at", "notification"}},
     "rejected": {<delivery_id>: {"message_id", "problem"}},
     "outbox": [<ReplyOutbox entries>]}
"""

from __future__ import annotations

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

from adapters.hub_client import HubClient, HubRefused, HubUnreachable, InboxItem
from adapters.police.translate import (
    answer_id_for,
    answer_to_canonical,
    from_canonical,
    message_id_for,
    to_canonical,
)
from adapters.police.transport import POLL_INTERVAL_S, InboxPuller
from adapters.simulation import (
    REPLY_INTERVAL_S,
    BackgroundLoop,
    OutageSwitch,
    ReplyOutbox,
    State,
    StateStore,
    control_routes,
    count_by_type,
    lifespan_of,
    run_simulator,
)
from schemas import TranslationError

__all__ = ["create_app", "main"]


def create_app(state_dir: Path, hub: HubClient) -> Starlette:
    """The police system's web app; its inbox loop runs while the app serves."""
    store = StateStore(state_dir / "state.json", {"sent": {}, "received": {}, "rejected": {}})
    outbox = ReplyOutbox(store, hub)
    outage = OutageSwitch()

    async def register_referral(request: Request) -> Response:
        try:
            record = json.loads(await request.body())
            kusp_number = record["kusp_number"]
            envelope = to_canonical(
                record, message_id=message_id_for(str(kusp_number)), now=datetime.now(UTC)
            )
        except (json.JSONDecodeError, UnicodeDecodeError, TypeError, KeyError):
            return JSONResponse({"field": "kusp_number", "reason": "missing or not JSON"}, 422)
        except TranslationError as exc:
            return JSONResponse({"field": exc.field, "reason": exc.reason}, 422)
        try:
            receipt = await run_in_threadpool(hub.send, envelope)
        except HubRefused as exc:
            return JSONResponse({"code": exc.code, "status": exc.status, "detail": exc.detail}, 422)
        except HubUnreachable as exc:
            return JSONResponse({"detail": str(exc)}, 503)
        sent = {
            "message_id": receipt.message_id,
            "hub_id": receipt.hub_id,
            "duplicate": receipt.duplicate,
            "sent_at": datetime.now(UTC).isoformat(),
            "deliveries": [
                {"recipient": d.recipient, "status": d.status} for d in receipt.deliveries
            ],
        }
        store.update(lambda state: state["sent"].__setitem__(str(kusp_number), sent))
        return JSONResponse(sent, 202)

    def receive(item: InboxItem) -> None:
        store.update(lambda state: _store_notification(state, item))

    puller = InboxPuller(hub, receive)

    def poll() -> None:
        if outage.take() is None:
            puller.pull_once()

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
        rejected = [{"delivery_id": int(k), **v} for k, v in state["rejected"].items()]
        replies = ReplyOutbox.summary(state)
        return {
            "sent": sent,
            "received": received,
            "rejected": rejected,
            "replies": replies,
            "counts": {
                "sent": len(sent),
                "received": count_by_type(received),
                "rejected": len(rejected),
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


def _store_notification(state: State, item: InboxItem) -> None:
    """Keep one notification per MessageId; record what could not be verified or read."""
    if item.envelope is None:
        problem = item.problem
    else:
        try:
            notification = from_canonical(item.envelope)
        except TranslationError as exc:
            problem = f"unreadable: {exc.field}: {exc.reason}"
        else:
            hub = notification["hub"]
            # The MessageId of the verified envelope, not of the inbox listing, is the key.
            message_id = hub["message_id"] if isinstance(hub, dict) else item.message_id
            if (
                message_id not in state["received"]
                and notification["kind"] == "information_request"
            ):
                _answer(state, notification)
            entry = state["received"].setdefault(
                message_id,
                {
                    "delivery_ids": [],
                    "received_at": datetime.now(UTC).isoformat(),
                    "notification": notification,
                },
            )
            entry["delivery_ids"].append(item.delivery_id)
            return
    state["rejected"][str(item.delivery_id)] = {"message_id": item.message_id, "problem": problem}


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
    ReplyOutbox.add(
        state,
        answer_to_canonical(
            {k: v for k, v in record.items() if v is not None},
            message_id=answer_id_for(hub["message_id"]),
            now=now,
        ),
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of ``python -m adapters.police.simulator``."""
    run_simulator(argv, description=__doc__.splitlines()[0], create_app=create_app)


if __name__ == "__main__":
    main()
