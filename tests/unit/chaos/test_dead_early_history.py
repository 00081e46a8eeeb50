"""The checker names each delivery that went dead early with its story, for the failure message."""

from hub.store import DeliveryAttempt, DeliveryStatus
from tooling.chaos.checker import _history, _Row


def _row(attempts: int, last_error: str | None) -> _Row:
    return _Row(7, 1, "social", "m-1", DeliveryStatus.DEAD, attempts, last_error)


def test_the_story_gives_claims_logged_outcomes_in_order_and_the_last_error() -> None:
    attempts = {
        7: [
            DeliveryAttempt(delivery_id=7, number=1, outcome="retry"),
            DeliveryAttempt(delivery_id=7, number=3, outcome="dead"),
        ]
    }
    story = _history(_row(3, "broker gave up after 2 retries"), attempts)
    assert story == "claims 3: retry, dead; broker gave up after 2 retries"


def test_a_row_with_nothing_logged_says_so() -> None:
    assert _history(_row(1, None), {}) == "claims 1: none logged; no error recorded"
