"""Answers remembered for a few seconds (``hub.recent``)."""

from hub.recent import Recent


class Seconds:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_value_is_found_until_its_time_is_up() -> None:
    seconds = Seconds()
    recent: Recent[str, int] = Recent(2.0, clock=seconds)
    recent.put("kdn", 1)
    seconds.now = 101.9
    assert recent.find("kdn") == 1
    seconds.now = 102.0
    assert recent.find("kdn") is None
    assert recent.find("police") is None


def test_putting_again_starts_the_time_again() -> None:
    seconds = Seconds()
    recent: Recent[str, int] = Recent(2.0, clock=seconds)
    recent.put("kdn", 1)
    seconds.now = 101.5
    recent.put("kdn", 2)
    seconds.now = 103.0
    assert recent.find("kdn") == 2


def test_nothing_is_remembered_when_the_time_is_zero() -> None:
    recent: Recent[str, int] = Recent(0.0, clock=Seconds())
    recent.put("kdn", 1)
    assert recent.find("kdn") is None
