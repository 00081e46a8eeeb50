"""The social centre's native side of its gateway: the centre's events as REST/JSON.

``POST /events`` takes one event (``event``: ``referral.registered``, ``survey.completed``,
``plan.approved`` …, the shape ``adapters.social.translate.to_canonical`` reads). The
centre's ``Idempotency-Key`` header fixes the MessageId, so an event sent again is one
message. Answers as ``adapters.gateway.rest`` says.
"""

from __future__ import annotations

from starlette.routing import Route

from adapters.gateway.intake import Intake
from adapters.gateway.rest import json_route, keyed_message_id
from adapters.social.translate import to_canonical

__all__ = ["routes"]


def routes(intake: Intake) -> list[Route]:
    """The centre's native routes."""
    return [json_route("/events", intake, to_canonical, keyed_message_id(intake.code))]
