"""Simulator plumbing: the persisted state store and the outage switch."""

import json
from pathlib import Path

import pytest

from adapters.simulation import GatewayClient, OutageSwitch, ReplyOutbox, State, StateStore


def test_state_is_persisted_and_reloaded(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state.json", {"items": []})
    store.update(lambda state: state["items"].append(1))

    assert StateStore(tmp_path / "state.json", {"items": []}).read() == {"items": [1]}
    assert json.loads((tmp_path / "state.json").read_text()) == {"items": [1]}


def test_a_failed_change_leaves_state_and_file_untouched(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state.json", {"items": [1]})

    def change(state: State) -> None:
        state["items"].append(2)
        raise ValueError("half-way")

    with pytest.raises(ValueError, match="half-way"):
        store.update(change)
    assert store.read() == {"items": [1]}
    assert json.loads((tmp_path / "state.json").read_text()) == {"items": [1]}


def test_the_outage_switch_fails_exactly_n_times() -> None:
    switch = OutageSwitch()
    switch.arm(2, 503)
    assert [switch.take() for _ in range(3)] == [503, 503, None]


def test_a_lasting_outage_fails_every_delivery_until_its_time_from_the_first_failure() -> None:
    now = [100.0]
    switch = OutageSwitch(clock=lambda: now[0])
    switch.arm(1, 503, lasting_s=6)
    answers = []
    for at in (100.0, 103.0, 105.9, 106.0):  # the first failure at 100: down until 106
        now[0] = at
        answers.append(switch.take())
    assert answers == [503, 503, 503, None]


def test_replies_queued_before_the_gateways_are_listed_and_the_unsent_given_up(
    tmp_path: Path,
) -> None:
    # Given a state file whose outbox holds canonical envelopes, one sent and one not
    old = {"message_type": "ReferralReceipt", "envelope": "<E/>", "attempts": 1}
    (tmp_path / "state.json").write_text(
        json.dumps(
            {
                "outbox": [
                    {**old, "message_id": "m-1", "status": "sent"},
                    {**old, "message_id": "m-2", "status": "pending"},
                ]
            }
        )
    )
    store = StateStore(tmp_path / "state.json", {})

    # When a simulator opens its outbox on it
    with GatewayClient("http://127.0.0.1:9") as gateway:
        outbox = ReplyOutbox(store, gateway)
        # Then both are listed by their MessageId, the unsent one refused, none resent
        summary = ReplyOutbox.summary(store.read())
        assert [(r["key"], r["message_id"]) for r in summary["sent"]] == [("m-1", "m-1")]
        assert [r["key"] for r in summary["refused"]] == ["m-2"]
        assert outbox.send_pending() == 0
    assert all("envelope" not in reply for reply in store.read()["outbox"])
