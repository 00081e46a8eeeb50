"""The HTTP API over a real uvicorn server: receipts, problem+json codes, inbox, trace, health."""

import base64
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import event, select

from hub.store import Partner, Rejection
from schemas import parse_xml, read_header
from signing import DevPki, XmlVerifier
from tests.factories import Signers, make_envelope
from tests.integration.hub.api_helpers import assert_problem, post_message
from tests.stack import RunningHub


@pytest.fixture
def http(hub_api: RunningHub) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=hub_api.url, timeout=10) as client:
        yield client


@pytest.fixture
def signers_here(pki: DevPki) -> Signers:
    """Signers over this test's PKI (onboarding re-issued the partners' keys)."""
    return Signers(pki)


def test_signed_referral_is_accepted_with_a_receipt(
    hub_api: RunningHub, http: httpx.Client, signers_here: Signers
) -> None:
    response = post_message(
        http, signers_here.sign(make_envelope(sender="police")), hub_api.api_keys["police"]
    )

    assert response.status_code == 202, response.text
    receipt = response.json()
    assert receipt["message_type"] == "FamilyReferral"
    assert {d["recipient"] for d in receipt["deliveries"]} == {"social", "kdn"}


@pytest.mark.parametrize(
    ("api_key", "code"),
    [(None, "auth.missing_credentials"), ("hubk_0000_wrong", "auth.invalid_credentials")],
)
def test_bad_api_key_is_refused_and_recorded(
    hub_api: RunningHub, http: httpx.Client, signers_here: Signers, api_key: str | None, code: str
) -> None:
    response = post_message(http, signers_here.sign(make_envelope(sender="police")), api_key)

    assert_problem(response, 401, code)
    assert response.headers["www-authenticate"] == "Bearer"
    with hub_api.runtime.session_factory() as session:
        assert session.scalars(select(Rejection.code)).all() == [code]


def test_partner_cannot_post_for_another(
    hub_api: RunningHub, http: httpx.Client, signers_here: Signers
) -> None:
    response = post_message(
        http, signers_here.sign(make_envelope(sender="police")), hub_api.api_keys["kdn"]
    )
    assert_problem(response, 403, "auth.sender_mismatch")


def test_malformed_and_oversize_bodies_get_their_codes(
    hub_api: RunningHub, http: httpx.Client
) -> None:
    assert_problem(
        post_message(http, b"<Envelope", hub_api.api_keys["police"]), 400, "xml.malformed"
    )
    oversize = b"<a>" + b"x" * (hub_api.settings.max_message_bytes + 10) + b"</a>"
    assert_problem(post_message(http, oversize, hub_api.api_keys["police"]), 413, "xml.too_large")


def test_duplicate_names_the_accepted_copy(
    hub_api: RunningHub, http: httpx.Client, signers_here: Signers
) -> None:
    raw = signers_here.sign(make_envelope(sender="police"))
    first = post_message(http, raw, hub_api.api_keys["police"]).json()

    body = assert_problem(
        post_message(http, raw, hub_api.api_keys["police"]), 409, "replay.duplicate"
    )

    assert body["hub_id"] == first["hub_id"]


def test_trace_is_visible_to_the_sender_only(
    hub_api: RunningHub, http: httpx.Client, signers_here: Signers
) -> None:
    receipt = post_message(
        http, signers_here.sign(make_envelope(sender="police")), hub_api.api_keys["police"]
    ).json()
    police = {"Authorization": f"Bearer {hub_api.api_keys['police']}"}
    social = {"Authorization": f"Bearer {hub_api.api_keys['social']}"}

    by_id = http.get(f"/api/v1/messages/{receipt['hub_id']}", headers=police)
    by_message_id = http.get(f"/api/v1/messages/{receipt['message_id']}", headers=police)
    foreign = http.get(f"/api/v1/messages/{receipt['hub_id']}", headers=social)

    assert by_id.status_code == 200
    assert by_id.json() == by_message_id.json()
    trace = by_id.json()
    assert {d["recipient"]: d["status"] for d in trace["deliveries"]} == {
        "social": "pending",
        "kdn": "pending",
    }
    assert_problem(foreign, 404, "request.not_found")


def test_pull_inbox_leases_then_acknowledges_once(
    hub_api: RunningHub, http: httpx.Client, signers_here: Signers, pki: DevPki
) -> None:
    # Given a police referral answered by the social centre
    referral = make_envelope(sender="police")
    post_message(http, signers_here.sign(referral), hub_api.api_keys["police"])
    referral_id = read_header(referral).message_id
    receipt = make_envelope("ReferralReceipt", sender="social", correlation_id=referral_id)
    assert (
        post_message(http, signers_here.sign(receipt), hub_api.api_keys["social"]).status_code
        == 202
    )
    police = {"Authorization": f"Bearer {hub_api.api_keys['police']}"}

    # When the police system polls its inbox
    first = http.get("/api/v1/inbox", headers=police).json()["messages"]
    again = http.get("/api/v1/inbox", headers=police).json()["messages"]

    # Then it gets the hub-signed copy once, leased until acknowledged
    assert [m["message_type"] for m in first] == ["ReferralReceipt"]
    assert again == []
    envelope = parse_xml(base64.b64decode(first[0]["envelope"]))
    verified = XmlVerifier(pki.trust_store()).verify(envelope, expected_sender="hub")
    assert read_header(verified.signed_xml).correlation_id == referral_id
    delivery_id = first[0]["delivery_id"]
    for _ in range(2):  # acknowledging twice is harmless
        ack = http.post(f"/api/v1/inbox/{delivery_id}/ack", headers=police)
        assert ack.json() == {"delivery_id": delivery_id, "status": "delivered"}
    social = {"Authorization": f"Bearer {hub_api.api_keys['social']}"}
    assert_problem(
        http.post(f"/api/v1/inbox/{delivery_id}/ack", headers=social), 404, "request.not_found"
    )


def test_a_polling_partner_s_key_is_read_once_within_the_recheck(
    hub_api: RunningHub, http: httpx.Client
) -> None:
    # Given a partner whose key passed on its first poll
    police = {"Authorization": f"Bearer {hub_api.api_keys['police']}"}
    assert http.get("/api/v1/inbox", headers=police).status_code == 200
    statements: list[str] = []

    def note(*args: object) -> None:
        statements.append(str(args[2]))

    # When it polls again, and asks for a trace, within HUB_CREDENTIAL_CACHE_S (2 s)
    event.listen(hub_api.runtime.engine, "before_cursor_execute", note)
    try:
        assert http.get("/api/v1/inbox", headers=police).status_code == 200
        assert_problem(
            http.get("/api/v1/messages/no-such", headers=police), 404, "request.not_found"
        )
    finally:
        event.remove(hub_api.runtime.engine, "before_cursor_execute", note)

    # Then the key was taken from memory: the requests read only what they answer with
    assert statements
    assert not [s for s in statements if "partner_api_key" in s]


def test_health_and_readiness(http: httpx.Client) -> None:
    assert http.get("/healthz").json() == {"status": "ok", "checks": {}}
    ready = http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "broker": "ok"}


def test_disabled_partner_is_refused(
    hub_api: RunningHub, http: httpx.Client, signers_here: Signers
) -> None:
    with hub_api.runtime.session_factory.begin() as session:
        police = session.scalars(select(Partner).where(Partner.code == "police")).one()
        police.active = False
    raw = signers_here.sign(make_envelope(sender="police"))
    assert_problem(
        post_message(http, raw, hub_api.api_keys["police"]), 403, "auth.partner_inactive"
    )


@pytest.mark.parametrize("limit", [0, 101])
def test_inbox_limit_outside_its_range_is_an_invalid_request(
    hub_api: RunningHub, http: httpx.Client, limit: int
) -> None:
    police = {"Authorization": f"Bearer {hub_api.api_keys['police']}"}

    body = assert_problem(
        http.get("/api/v1/inbox", params={"limit": limit}, headers=police), 422, "request.invalid"
    )

    errors = body["errors"]
    assert isinstance(errors, list)
    assert [error["loc"] for error in errors] == [["query", "limit"]]
