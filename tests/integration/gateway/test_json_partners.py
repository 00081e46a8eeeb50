"""Police and the social centre through their gateways: native JSON in, the hub's answer out."""

from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select

from adapters.police import translate as police_translate
from adapters.police.translate import message_id_for
from hub.store import MessageLog
from tests.integration.gateway.conftest import NO_HUB, Gateways, status, wait_for
from tests.unit.adapters import golden

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_a_police_signal_is_accepted_by_the_hub_and_a_resend_is_the_same_message(
    gateways: Gateways,
) -> None:
    _, police = gateways.start(gateways.options("police"))
    signal = golden.native("police", "signal")

    first = httpx.post(f"{police.url}/referrals", json=signal, timeout=30)
    again = httpx.post(f"{police.url}/referrals", json=signal, timeout=30)

    assert first.status_code == 200, first.text
    body = first.json()
    assert body["status"] == "accepted"
    assert body["message_id"] == message_id_for(signal["kusp_number"])
    assert isinstance(body["hub_id"], int)
    assert "social" in body["recipients"]
    assert again.json() == body
    with gateways.hub.runtime.session_factory() as session:
        logged = session.scalars(select(MessageLog.message_id).where(MessageLog.sender == "police"))
        assert list(logged) == [body["message_id"]]
    assert status(police)["outgoing"] == {"waiting": 0, "sent": 1, "refused": 0}


def test_a_record_that_does_not_translate_is_refused_natively_and_not_kept(
    gateways: Gateways,
) -> None:
    _, police = gateways.start(gateways.options("police"))
    signal = golden.native("police", "signal")
    signal["children"][0]["birth_date"] = "18.09.2015"

    answer = httpx.post(f"{police.url}/referrals", json=signal, timeout=30)

    assert answer.status_code == 422
    assert answer.json() == {
        "code": "payload.invalid",
        "field": "children[0].birth_date",
        "reason": "not a date (YYYY-MM-DD)",
    }
    assert status(police)["outgoing"] == {"waiting": 0, "sent": 0, "refused": 0}


def test_a_body_that_is_not_json_is_refused_natively(gateways: Gateways) -> None:
    _, social = gateways.start(gateways.options("social"))

    answer = httpx.post(f"{social.url}/events", content=b"<xml/>", timeout=30)

    assert answer.status_code == 422
    assert answer.json() == {"code": "payload.invalid", "field": "body", "reason": "not JSON"}


def test_the_hubs_refusal_comes_back_with_its_code(gateways: Gateways) -> None:
    _, police = gateways.start(gateways.options("police"))
    # An answer to a request the hub never saw: it cannot route it.
    answer = httpx.post(f"{police.url}/answers", json=golden.native("police", "answer"), timeout=30)

    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "routing.unknown_correlation"
    assert status(police)["outgoing"] == {"waiting": 0, "sent": 0, "refused": 1}


def test_the_social_centre_answers_a_police_signal_through_its_gateway(
    gateways: Gateways,
) -> None:
    _, police = gateways.start(gateways.options("police"))
    _, social = gateways.start(gateways.options("social"))
    signal = golden.native("police", "signal")
    assert httpx.post(f"{police.url}/referrals", json=signal, timeout=30).status_code == 200
    event = golden.native("social", "referral_registered")
    event["referral_message_id"] = message_id_for(signal["kusp_number"])

    answer = httpx.post(
        f"{social.url}/events", json=event, headers={"Idempotency-Key": "reg-147"}, timeout=30
    )
    again = httpx.post(
        f"{social.url}/events", json=event, headers={"Idempotency-Key": "reg-147"}, timeout=30
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["recipients"] == ["police"]
    assert again.json()["message_id"] == answer.json()["message_id"]


def test_with_the_hub_down_the_gateway_queues_and_sends_once_it_is_back(
    gateways: Gateways,
) -> None:
    # Given a gateway that cannot reach the hub …
    down, police = gateways.start(gateways.options("police", hub_url=NO_HUB))
    signal = golden.native("police", "signal")

    answer = httpx.post(f"{police.url}/referrals", json=signal, timeout=30)

    # … the record is kept and the system told so.
    assert answer.status_code == 202, answer.text
    assert answer.json()["status"] == "queued"
    report = status(police)
    assert report["outgoing"]["waiting"] == 1
    assert report["last_error"] is not None
    police.stop()
    down.close()
    # When the gateway starts again on the same spool with the hub reachable, it sends it.
    _, police = gateways.start(gateways.options("police"))
    wait_for(lambda: status(police)["outgoing"]["sent"] == 1)
    with gateways.hub.runtime.session_factory() as session:
        logged = session.scalars(select(MessageLog.message_id).where(MessageLog.sender == "police"))
        assert list(logged) == [message_id_for(signal["kusp_number"])]


def test_an_employment_centre_referral_is_accepted_by_the_hub(gateways: Gateways) -> None:
    _, employment = gateways.start(gateways.options("employment"))
    record = golden.native("employment", "referral")

    answer = httpx.post(
        f"{employment.url}/records",
        json=record,
        headers={"Idempotency-Key": "czn-referral-1"},
        timeout=30,
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "accepted"
    assert "social" in answer.json()["recipients"]


def test_a_message_the_hub_has_already_counts_as_accepted_with_the_hubs_id(
    gateways: Gateways,
) -> None:
    # Given the hub took the signal already (sent before the spool knew of it, as after a
    # crash between the post and the spool's record of the answer) …
    signal = golden.native("police", "signal")
    message_id = message_id_for(signal["kusp_number"])
    with gateways.hub.client("police") as client:
        first = client.send(
            police_translate.to_canonical(signal, message_id=message_id, now=datetime.now(UTC))
        )
    _, police = gateways.start(gateways.options("police"))

    # … the gateway's send is a duplicate at the hub, and that is an acceptance.
    answer = httpx.post(f"{police.url}/referrals", json=signal, timeout=30)

    assert answer.status_code == 200, answer.text
    assert answer.json()["duplicate"] is True
    assert answer.json()["hub_id"] == first.hub_id


@pytest.mark.parametrize(
    ("code", "path", "record"),
    [
        ("social", "/events", ("social", "referral_registered")),
        ("employment", "/records", ("employment", "information_response")),
    ],
)
def test_answers_to_messages_the_hub_never_saw_are_refused_with_its_code(
    gateways: Gateways, code: str, path: str, record: tuple[str, str]
) -> None:
    _, gateway = gateways.start(gateways.options(code))

    answer = httpx.post(f"{gateway.url}{path}", json=golden.native(*record), timeout=30)

    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "routing.unknown_correlation"


def test_an_employment_record_of_an_unknown_kind_is_refused_naming_the_field(
    gateways: Gateways,
) -> None:
    _, employment = gateways.start(gateways.options("employment"))

    answer = httpx.post(f"{employment.url}/records", json={"kind": "vacancy"}, timeout=30)

    assert answer.status_code == 422
    assert answer.json() == {
        "code": "payload.invalid",
        "field": "kind",
        "reason": "unknown kind 'vacancy'",
    }
