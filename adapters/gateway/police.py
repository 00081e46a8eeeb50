"""The police system's native side of its gateway: signals and answers as JSON records.

``POST /referrals`` takes a signal record (``kusp_number``, ``registered_at``, ``unit`` …,
the shape ``adapters.police.translate.to_canonical`` reads); its MessageId is derived from
the КУСП number, so registering the same record twice is one message. ``POST /answers``
takes the unit's answer to an information request (``request_message_id``,
``request_number``, ``answered_at``, ``conduct`` …); its MessageId is derived from the
request's, so a request is answered once. Answers as ``adapters.gateway.rest`` says.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from starlette.routing import Route

from adapters.gateway.intake import Intake
from adapters.gateway.rest import json_route
from adapters.native import Fields
from adapters.police.translate import (
    answer_id_for,
    answer_to_canonical,
    message_id_for,
    to_canonical,
)

__all__ = ["routes"]


def routes(intake: Intake) -> list[Route]:
    """The police system's native routes."""
    return [
        json_route("/referrals", intake, to_canonical, _signal_id),
        json_route("/answers", intake, answer_to_canonical, _answer_id),
    ]


def _signal_id(_request: Request, record: Mapping[str, object]) -> str:
    return message_id_for(Fields(record).text("kusp_number"))


def _answer_id(_request: Request, record: Mapping[str, object]) -> str:
    return answer_id_for(Fields(record).text("request_message_id"))
