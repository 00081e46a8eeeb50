"""A simulated social service centre: the case owner's registry with its webhook for the hub.

``POST /hub/inbox`` takes the centre's native event (what ``SocialTransport`` sends) and
stores it once per ``X-Hub-Message-Id``: a second delivery of the same message answers 200
with the same registration number and changes nothing. A referral is registered and, in the
same state write, two replies are queued for the hub: a ReferralReceipt (curator assigned)
and an ActionStatusUpdate (home survey accepted). A background loop sends them through the
hub client until the hub has them, across restarts.

Endpoints: ``POST /hub/inbox``, ``GET /state``, ``POST /control/outage``.
Run: ``python -m adapters.social.simulator --port 8101 --state-dir var/social
--hub-url http://127.0.0.1:8000 --credentials var/pki/partners/social``.

State (``state.json``)::

    {"inbox": {<message_id>: {"message_type", "event", "delivery_id", "received_at", "deliveries",
                              "registration_number", "record"}},
     "next_number": 1, "outbox": [<ReplyOutbox entries>]}
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from adapters.hub_client import HubClient
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
from adapters.social.translate import to_canonical

__all__ = ["create_app", "main"]

CENTRE = {
    "name": "КГАУ СЗ «Камчатский комплексный центр социального обслуживания населения»",
    "department": "отделение помощи семье и детям",
}
#: The centre's curators, assigned to new families in turn.
CURATORS = (
    {
        "last_name": "Кузнецова",
        "first_name": "Елена",
        "middle_name": "Павловна",
        "position": "специалист по социальной работе",
        "phone": "+7 4152 20-11-01",
    },
    {
        "last_name": "Васильев",
        "first_name": "Денис",
        "middle_name": "Андреевич",
        "position": "психолог",
        "phone": "+7 4152 20-11-02",
    },
)


def create_app(state_dir: Path, hub: HubClient) -> Starlette:
    """The centre's web app; its reply loop runs while the app serves."""
    store = StateStore(state_dir / "state.json", {"inbox": {}, "next_number": 1})
    outbox = ReplyOutbox(store, hub)
    outage = OutageSwitch()

    async def hub_inbox(request: Request) -> Response:
        failure = outage.take()
        if failure is not None:
            return JSONResponse({"detail": "outage"}, failure, headers={"Retry-After": "1"})
        message_id = request.headers.get("X-Hub-Message-Id")
        try:
            event = json.loads(await request.body())
        except (json.JSONDecodeError, UnicodeDecodeError):
            return JSONResponse({"detail": "body is not JSON"}, 400)
        if not message_id or not isinstance(event, dict) or "event" not in event:
            return JSONResponse({"detail": "X-Hub-Message-Id and an event are required"}, 400)
        delivery_id = request.headers.get("X-Hub-Delivery-Id")
        entry = store.update(lambda state: _receive(state, message_id, delivery_id, event))
        return JSONResponse(
            {
                "registration_number": entry["registration_number"],
                "duplicate": entry["deliveries"] > 1,
            }
        )

    def state_view() -> object:
        state = store.read()
        received = [
            {
                "message_id": message_id,
                "message_type": entry["message_type"],
                "event": entry["event"],
                "registration_number": entry["registration_number"],
                "deliveries": entry["deliveries"],
            }
            for message_id, entry in state["inbox"].items()
        ]
        replies = ReplyOutbox.summary(state)
        return {
            "received": received,
            **replies,
            "counts": {
                "received": count_by_type(received),
                "deliveries": sum(item["deliveries"] for item in received),
                "sent": count_by_type(replies["sent"]),
                "pending": len(replies["pending"]),
            },
        }

    loops: Sequence[BackgroundLoop] = [
        BackgroundLoop("social-replies", outbox.send_pending, REPLY_INTERVAL_S)
    ]
    return Starlette(
        routes=[
            Route("/hub/inbox", hub_inbox, methods=["POST"]),
            *control_routes(outage, state_view),
        ],
        lifespan=lifespan_of(loops),
    )


def _receive(
    state: State, message_id: str, delivery_id: str | None, event: dict[str, object]
) -> State:
    """Store one delivery; register a new referral and queue its replies."""
    inbox = state["inbox"]
    if message_id in inbox:
        inbox[message_id]["deliveries"] += 1
        return dict(inbox[message_id])
    now = datetime.now(UTC)
    number = state["next_number"]
    state["next_number"] = number + 1
    registration_number = f"СРЦ-{now.year}/{number:04d}"
    hub = event.get("hub")
    inbox[message_id] = {
        "message_type": hub.get("message_type") if isinstance(hub, dict) else None,
        "event": event["event"],
        "delivery_id": delivery_id,
        "received_at": now.isoformat(),
        "deliveries": 1,
        "registration_number": registration_number,
        "record": event,
    }
    if event["event"] == "referral.received":
        _queue_replies(state, event, message_id, registration_number, number, now)
    return dict(inbox[message_id])


def _queue_replies(
    state: State,
    event: dict[str, object],
    referral_message_id: str,
    registration_number: str,
    number: int,
    now: datetime,
) -> None:
    hub = event.get("hub")
    hub_facts = hub if isinstance(hub, dict) else {}
    answer = {
        "referral_message_id": referral_message_id,
        "case_ref": hub_facts.get("case_ref"),
        "urgent": hub_facts.get("priority") == "urgent",
    }
    curator = CURATORS[number % len(CURATORS)]
    registered = {
        **answer,
        "event": "referral.registered",
        "outcome": "registered",
        "registration_number": registration_number,
        "registered_at": now.isoformat(),
        "centre": CENTRE,
        "curator": curator,
        "comment": "Семья принята на учёт, назначен куратор",
    }
    survey = {
        **answer,
        "event": "action.status_changed",
        "action_id": f"survey-{number}",
        "status": "accepted",
        "changed_at": now.isoformat(),
        "executor": CENTRE,
        "specialist": curator,
        "period": {"from": now.date().isoformat()},
        "comment": "Назначено обследование условий проживания",
    }
    for record in (registered, survey):
        envelope = to_canonical(
            {k: v for k, v in record.items() if v is not None},
            message_id=str(uuid.uuid4()),
            now=now,
        )
        ReplyOutbox.add(state, envelope)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of ``python -m adapters.social.simulator``."""
    run_simulator(argv, description=__doc__.splitlines()[0], create_app=create_app)


if __name__ == "__main__":
    main()
