"""The two delivery lanes: urgent messages (a newborn at risk) overtake the routine backlog.

Each lane is a broker queue with its own actor. dramatiq's worker feeds every
consumed message into one priority queue ordered by the actor's ``priority``
(lower first), so whatever the urgent lane holds is taken before routine work.
"""

from typing import Final

__all__ = ["LANES", "LANE_PRIORITY", "ROUTINE", "URGENT", "lane_for"]

URGENT: Final = "urgent"
ROUTINE: Final = "routine"
LANES: Final = (URGENT, ROUTINE)

#: dramatiq actor priority per lane; a lower number is processed first.
LANE_PRIORITY: Final = {URGENT: 0, ROUTINE: 100}


def lane_for(priority: str) -> str:
    """The lane for an envelope ``Priority``: ``urgent`` for urgent, ``routine`` for the rest.

    Anything but ``urgent`` is routine, so an unexpected value can never jump the queue.
    """
    return URGENT if priority == URGENT else ROUTINE
