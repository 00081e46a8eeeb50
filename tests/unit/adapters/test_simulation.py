"""Simulator plumbing: the persisted state store and the outage switch."""

import json
from pathlib import Path

import pytest

from adapters.simulation import OutageSwitch, State, StateStore


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
