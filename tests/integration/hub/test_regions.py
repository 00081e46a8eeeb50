"""A referral from a region the hub does not serve is refused over HTTP, never defaulted."""

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import func, select

from hub.store import CaseReferral, MessageLog, Rejection
from signing import DevPki
from tests.factories import Signers, make_envelope
from tests.integration.cases.story import set_texts
from tests.integration.hub.api_helpers import assert_problem, post_message
from tests.stack import RunningHub


@pytest.fixture
def http(hub_api: RunningHub) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=hub_api.url, timeout=10) as client:
        yield client


def test_a_referral_from_a_region_not_served_is_refused_and_nothing_is_stored(
    hub_api: RunningHub, http: httpx.Client, pki: DevPki
) -> None:
    # Given a police referral of a family in Tver, a region with no region file
    referral = make_envelope("FamilyReferral", sender="police")
    set_texts(referral, {"Family/Address/Region": "Тверская область"})

    # When the police system posts it
    answer = post_message(http, Signers(pki).sign(referral), hub_api.api_keys["police"])

    # Then it is refused with its own code, naming the region read and those served,
    body = assert_problem(answer, 422, "referral.region_not_served")
    assert body["region"] == "Тверская область"
    assert body["served_regions"] == "Калужская область, Камчатский край"
    assert "Тверская область" in str(body["detail"])
    # recorded like every refusal, and neither logged nor filed under any region.
    with hub_api.runtime.session_factory() as session:
        refused = session.scalars(select(Rejection)).one()
        assert (refused.code, refused.claimed_sender) == ("referral.region_not_served", "police")
        assert session.scalar(select(func.count()).select_from(MessageLog)) == 0
        assert session.scalar(select(func.count()).select_from(CaseReferral)) == 0
