"""Lanes: urgent messages get the urgent lane and the lower dramatiq priority."""

import pytest

from queues import LANE_PRIORITY, LANES, ROUTINE, URGENT, lane_for


@pytest.mark.parametrize(
    ("priority", "lane"),
    [("urgent", URGENT), ("routine", ROUTINE), ("URGENT", ROUTINE), ("", ROUTINE)],
)
def test_only_urgent_takes_the_urgent_lane(priority: str, lane: str) -> None:
    assert lane_for(priority) == lane


def test_the_urgent_lane_is_processed_first() -> None:
    assert LANES == ("urgent", "routine")
    assert LANE_PRIORITY[URGENT] < LANE_PRIORITY[ROUTINE]
