"""The police simulator's own API: registering signals through its gateway, and the
notifications it lists from the gateway."""

import uuid
from pathlib import Path

import httpx
import pytest
from lxml import etree

from adapters.police.simulator import create_app
from adapters.police.translate import message_id_for
from adapters.simulation import SimulatorServer
from tests.integration.adapters.conftest import StartSimulator, StartWithHub, wait_for
from tests.unit.adapters import golden


@pytest.fixture
def police(start_simulator: StartSimulator, tmp_path: Path) -> SimulatorServer:
    return start_simulator(create_app, "police", tmp_path / "state")


def test_a_bad_record_is_refused_by_the_gateway_naming_the_field(
    start_with_hub: StartWithHub, tmp_path: Path
) -> None:
    police, hub = start_with_hub(create_app, "police", tmp_path / "state")
    record = golden.native("police", "signal")
    record["children"][0]["birth_date"] = "18.09.2015"

    answer = httpx.post(f"{police.url}/referrals", json=record)

    assert answer.status_code == 422
    assert answer.json() == {
        "code": "payload.invalid",
        "field": "children[0].birth_date",
        "reason": "not a date (YYYY-MM-DD)",
    }
    assert hub.sent == []
    assert httpx.get(f"{police.url}/state").json()["sent"] == []


def test_a_signal_reaches_the_hub_signed_by_the_gateway(
    start_with_hub: StartWithHub, tmp_path: Path
) -> None:
    police, hub = start_with_hub(create_app, "police", tmp_path / "state")
    signal = golden.native("police", "signal")

    answer = httpx.post(f"{police.url}/referrals", json=signal)

    assert answer.status_code == 202, answer.text
    assert (answer.json()["message_id"], answer.json()["status"]) == (
        message_id_for(signal["kusp_number"]),
        "accepted",
    )
    assert [h.message_id for h in hub.sent_of("FamilyReferral")] == [
        message_id_for(signal["kusp_number"])
    ]
    assert hub.sent[0].find(".//{http://www.w3.org/2000/09/xmldsig#}Signature") is not None


def test_a_signal_is_not_recorded_as_sent_while_the_gateway_is_down(
    police: SimulatorServer,
) -> None:
    answer = httpx.post(f"{police.url}/referrals", json=golden.native("police", "signal"))

    assert answer.status_code == 503
    state = httpx.get(f"{police.url}/state").json()
    assert state["sent"] == []
    assert state["received"] == []


def _inbox_message(code: str, name: str, case_ref: str) -> etree._Element:
    envelope = golden.envelope(code, name)
    golden.set_text(envelope, "{*}Header/{*}MessageId", str(uuid.uuid5(uuid.NAMESPACE_URL, name)))
    golden.set_text(envelope, "{*}Header/{*}CaseRef", case_ref)
    return envelope


def test_an_information_request_is_answered_from_the_units_records(
    start_with_hub: StartWithHub, tmp_path: Path
) -> None:
    server, hub = start_with_hub(create_app, "police", tmp_path / "state")
    # Given the unit signalled the family, and the centre's receipt named the case …
    signal = golden.native("police", "signal")
    assert httpx.post(f"{server.url}/referrals", json=signal).status_code == 202
    receipt = _inbox_message("social", "referral_registered", "KAM-2026-000147")
    golden.set_text(receipt, "{*}Header/{*}CorrelationId", message_id_for(signal["kusp_number"]))
    hub.put(receipt)
    # … when the curator asks about the family on that case and on another one …
    request = _inbox_message("social", "information_requested", "KAM-2026-000147")
    hub.put(request)
    other = _inbox_message("social", "case_closed", "KAM-2026-000147")
    hub.put(other)
    wait_for(lambda: hub.sent_of("InformationResponse"))

    # … then the answer names the unit's record, on the case, answering the request.
    (answer,) = [
        e for e in hub.sent if e.findtext("{*}Header/{*}MessageType") == "InformationResponse"
    ]
    header = answer.find("{*}Header")
    assert header is not None
    assert header.findtext("{*}CorrelationId") == request.findtext("{*}Header/{*}MessageId")
    assert header.findtext("{*}CaseRef") == "KAM-2026-000147"
    conduct = answer.findtext(".//{*}InformationResponse/{*}ConductInformation")
    assert conduct is not None
    assert signal["kusp_number"] in conduct
    wait_for(lambda: len(hub.acked) == 3)
    kinds = {r["kind"] for r in httpx.get(f"{server.url}/state").json()["received"]}
    assert kinds == {"receipt", "information_request", "closure"}


def test_a_family_unknown_to_the_unit_is_not_on_its_register(
    start_with_hub: StartWithHub, tmp_path: Path
) -> None:
    _, hub = start_with_hub(create_app, "police", tmp_path / "state")
    hub.put(_inbox_message("social", "information_requested", "KAM-2026-000555"))
    wait_for(lambda: hub.sent_of("InformationResponse"))

    (answer,) = [
        e for e in hub.sent if e.findtext("{*}Header/{*}MessageType") == "InformationResponse"
    ]
    conduct = answer.findtext(".//{*}InformationResponse/{*}ConductInformation")
    assert conduct is not None
    assert conduct.startswith("На учёте в ПДН не состоит")
