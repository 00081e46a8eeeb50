"""Delivery deadlines: how long a message may wait for its recipient before the hub tells its
sender it was not delivered (МЭДО's rule: 72 hours unless its type says otherwise).

Read from the ``delivery_deadlines`` section of the routing rules and validated with them at
start. The deadline job (``hub.escalation``) reads them on every pass.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from types import MappingProxyType
from typing import Annotated

from pydantic import BaseModel, ConfigDict, PlainValidator

#: The lane whose messages the ``urgent`` time bounds (an envelope's Priority).
URGENT = "urgent"
#: МЭДО's time to deliver when the rules say nothing.
DEFAULT_DELIVERY_DEADLINE = timedelta(hours=72)

_UNITS = {"hours": timedelta(hours=1), "minutes": timedelta(minutes=1)}
_DURATION_TEXT = re.compile(r"([0-9]+) +([a-z]+)")


def _parse_duration(value: object) -> timedelta:
    match = _DURATION_TEXT.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None or match[2] not in _UNITS or int(match[1]) < 1:
        raise ValueError(
            "write a time to deliver as '<amount> <unit>', a positive whole amount of "
            f"{' or '.join(_UNITS)}, e.g. '72 hours'"
        )
    return int(match[1]) * _UNITS[match[2]]


_Duration = Annotated[timedelta, PlainValidator(_parse_duration)]


class DeliveryDeadlinesSection(BaseModel):
    """The ``delivery_deadlines`` section as written in the rules file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    default: _Duration = DEFAULT_DELIVERY_DEADLINE
    urgent: _Duration | None = None
    message_types: dict[str, _Duration] = {}
    without_notice: list[str] = []


@dataclass(frozen=True)
class DeliveryDeadlines:
    """The time each message has to reach each of its recipients, from its acceptance.

    A message's time is its type's, or ``default``; an urgent message's is the shorter of
    that and ``urgent``.
    """

    default: timedelta = DEFAULT_DELIVERY_DEADLINE
    urgent: timedelta | None = None
    by_type: Mapping[str, timedelta] = field(default_factory=lambda: MappingProxyType({}))
    #: Partners or agencies whose system cannot take the notice: their late messages are
    #: recorded late, and they are not told.
    without_notice: frozenset[str] = frozenset()

    def for_message(self, message_type: str | None, priority: str) -> timedelta:
        """The time to deliver a message of ``message_type`` (None: a type without a time of
        its own) sent with ``priority``."""
        deadline = (
            self.default if message_type is None else self.by_type.get(message_type, self.default)
        )
        if priority == URGENT and self.urgent is not None:
            return min(deadline, self.urgent)
        return deadline

    def notifies(self, sender: str, agency: str | None) -> bool:
        """Whether ``sender`` (a partner of ``agency``) is sent non-delivery notices."""
        return not {sender, agency} & self.without_notice

    @classmethod
    def from_section(cls, section: DeliveryDeadlinesSection) -> "DeliveryDeadlines":
        return cls(
            default=section.default,
            urgent=section.urgent,
            by_type=MappingProxyType(dict(section.message_types)),
            without_notice=frozenset(section.without_notice),
        )
