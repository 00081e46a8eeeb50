"""The employment centre's native side of its gateway: its records as REST/JSON.

``POST /records`` takes one record (``kind``: ``referral``, ``action_status``,
``periodic_report``, ``information_response``, the shape
``adapters.employment.translate.to_canonical`` reads). The centre's ``Idempotency-Key``
header fixes the MessageId. Answers as ``adapters.gateway.rest`` says.
"""

from __future__ import annotations

from starlette.routing import Route

from adapters.employment.translate import to_canonical
from adapters.gateway.intake import Intake
from adapters.gateway.rest import json_route, keyed_message_id

__all__ = ["routes"]


def routes(intake: Intake) -> list[Route]:
    """The centre's native routes."""
    return [json_route("/records", intake, to_canonical, keyed_message_id(intake.code))]
