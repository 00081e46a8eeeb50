"""The police simulator's own API: registering signals (the hub is down here)."""

import httpx
import pytest

from adapters.police.simulator import create_app
from tests.unit.adapters import golden


@pytest.fixture
def police(start_simulator, tmp_path):
    return start_simulator(create_app, "police", tmp_path / "state")


def test_a_bad_record_is_refused_naming_the_field(police):
    record = golden.native("police", "signal")
    record["children"][0]["birth_date"] = "18.09.2015"

    answer = httpx.post(f"{police.url}/referrals", json=record)

    assert answer.status_code == 422
    assert answer.json() == {"field": "children[0].birth_date", "reason": "not a date (YYYY-MM-DD)"}


def test_a_signal_is_not_recorded_as_sent_while_the_hub_is_down(police):
    answer = httpx.post(f"{police.url}/referrals", json=golden.native("police", "signal"))

    assert answer.status_code == 503
    state = httpx.get(f"{police.url}/state").json()
    assert state["sent"] == []
    assert state["received"] == []
