"""A receiver fault holds until each partner met it, and no longer than the load lasts.

Against a real arrival log (the receiver's SQLite file); each call runs in a thread that
must end within a generous bound, so a wait that ignored its stop would fail, not hang.
"""

import threading
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path

import pytest

from tooling.chaos import hold_until_met
from tooling.rig import ArrivalLog, Mode

#: Far longer than any answer here takes: only a wait that ignores its stop reaches it.
_ENDS_WITHIN_S = 30.0


def _holding(
    log: ArrivalLog, load_over: threading.Event, *, since_id: int, bound_s: float
) -> Future[bool]:
    """``hold_until_met`` for ``Mode.FAIL``, run in a daemon thread: its answer to come."""
    answer: Future[bool] = Future()

    def hold() -> None:
        try:
            answer.set_result(
                hold_until_met(
                    log, Mode.FAIL, since_id=since_id, load_over=load_over, bound_s=bound_s
                )
            )
        except BaseException as exc:  # handed to the test through the future
            answer.set_exception(exc)

    threading.Thread(target=hold, daemon=True).start()
    return answer


@pytest.fixture
def log(tmp_path: Path) -> Iterator[ArrivalLog]:
    arrivals = ArrivalLog(tmp_path / "arrivals.sqlite")
    yield arrivals
    arrivals.close()


def test_it_holds_until_each_partner_had_a_call_in_the_mode_after_the_mark(
    log: ArrivalLog,
) -> None:
    # Given both partners met the mode before the mark, and the commission not after it
    log.record("social", "m-1", b"1", mode=Mode.FAIL)
    log.record("kdn", "m-1", b"1", mode=Mode.FAIL)
    since = log.last_id()
    log.record("social", "m-2", b"2", mode=Mode.FAIL)
    log.record("kdn", "m-2", b"2", mode=Mode.OK)
    held = _holding(log, threading.Event(), since_id=since, bound_s=3600)
    # When the commission then has a call in the mode
    assert not held.done()
    log.record("kdn", "m-3", b"3", mode=Mode.FAIL)
    # Then the hold ends, met
    assert held.result(timeout=_ENDS_WITHIN_S) is True


def test_it_stops_holding_once_the_load_is_over(log: ArrivalLog) -> None:
    # Given only the centre met the mode, and the load is over
    load_over = threading.Event()
    load_over.set()
    log.record("social", "m-1", b"1", mode=Mode.FAIL)
    # Then the hold ends unmet, long before its hour
    held = _holding(log, load_over, since_id=0, bound_s=3600)
    assert held.result(timeout=_ENDS_WITHIN_S) is False


def test_it_stops_holding_after_its_bound(log: ArrivalLog) -> None:
    # Given no partner ever meets the mode while the load goes on
    held = _holding(log, threading.Event(), since_id=0, bound_s=0.2)
    # Then the hold ends unmet at its bound
    assert held.result(timeout=_ENDS_WITHIN_S) is False
