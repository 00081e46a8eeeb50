"""ConsentRef over HTTP to a real hub: each way of naming no valid consent is refused with its
own code, as problem+json, recorded as a rejection, and nothing of it is stored."""

from collections.abc import Iterator
from datetime import date, timedelta

import httpx
import pytest
from sqlalchemy import func, select

from hub.store import MessageLog, Rejection
from signing import DevPki
from tests.factories import Signers, make_envelope
from tests.integration.cases.story import set_texts
from tests.integration.hub.api_helpers import assert_problem, post_message
from tests.stack import RunningHub

FAMILY = "KAM-2026-000501"
OTHER_FAMILY = "KAM-2026-000502"


class Partners:
    """Posts signed messages to the hub as each partner, with its own API key."""

    def __init__(self, hub: RunningHub, http: httpx.Client, signers: Signers) -> None:
        self._hub = hub
        self._http = http
        self._signers = signers

    def post(
        self,
        message_type: str,
        sender: str,
        values: dict[str, str | list[str]] | None = None,
        **header: str | None,
    ) -> httpx.Response:
        envelope = make_envelope(message_type, sender=sender, **header)  # type: ignore[arg-type]
        set_texts(envelope, values or {})
        return post_message(self._http, self._signers.sign(envelope), self._hub.api_keys[sender])

    def open_case(self, case_ref: str) -> None:
        referral = self.post("FamilyReferral", "police")
        assert referral.status_code == 202, referral.text
        message_id = referral.json()["message_id"]
        receipt = self.post(
            "ReferralReceipt",
            "social",
            {"ReferralMessageId": message_id, "Outcome": "registered"},
            case_ref=case_ref,
            correlation_id=message_id,
        )
        assert receipt.status_code == 202, receipt.text

    def record_consent(
        self, case_ref: str, consent_id: str, status: str, valid_until: date
    ) -> None:
        values: dict[str, str | list[str]] = {
            "ConsentId": consent_id,
            "Status": status,
            "ValidUntil": valid_until.isoformat(),
        }
        response = self.post("ConsentRecord", "social", values, case_ref=case_ref)
        assert response.status_code == 202, response.text


@pytest.fixture
def agencies(hub_api: RunningHub, pki: DevPki) -> Iterator[Partners]:
    with httpx.Client(base_url=hub_api.url, timeout=10) as http:
        yield Partners(hub_api, http, Signers(pki))


def test_each_consent_refusal_has_its_code_and_stores_nothing(
    hub_api: RunningHub, agencies: Partners
) -> None:
    # Given two Kamchatka families, one with consents in every state, one with its own
    next_year, yesterday = date.today() + timedelta(days=365), date.today() - timedelta(days=1)
    agencies.open_case(FAMILY)
    agencies.open_case(OTHER_FAMILY)
    agencies.record_consent(FAMILY, "СОГЛ-1", "given", next_year)
    agencies.record_consent(FAMILY, "СОГЛ-2", "withdrawn", next_year)
    agencies.record_consent(FAMILY, "СОГЛ-3", "refused", next_year)
    agencies.record_consent(FAMILY, "СОГЛ-4", "given", yesterday)
    agencies.record_consent(OTHER_FAMILY, "СОГЛ-5", "given", next_year)
    with hub_api.runtime.session_factory() as session:
        logged = session.scalar(select(func.count()).select_from(MessageLog))

    # When the curator sends the family's plan naming no consent, or one not in force
    refusals = {
        None: "consent.required",
        "no-such-consent-123": "consent.unknown",
        "СОГЛ-5": "consent.other_family",
        "СОГЛ-3": "consent.refused",
        "СОГЛ-2": "consent.withdrawn",
        "СОГЛ-4": "consent.expired",
    }
    for consent_ref, code in refusals.items():
        response = agencies.post("SupportPlan", "social", case_ref=FAMILY, consent_ref=consent_ref)
        # Then each is refused with its own code, as problem+json
        assert_problem(response, 422, code)

    # ...recorded as rejections, with nothing logged; the consent in force is accepted.
    with hub_api.runtime.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(MessageLog)) == logged
        recorded = session.scalars(select(Rejection.code).order_by(Rejection.id)).all()
    assert recorded == list(refusals.values())
    accepted = agencies.post("SupportPlan", "social", case_ref=FAMILY, consent_ref="СОГЛ-1")
    assert accepted.status_code == 202, accepted.text
