"""A school's own gateway, with its own bundle, under the education agency: its files go to the
hub signed as the school, and the hub's plan reaches its folder with only its own action."""

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select

from adapters.education import csvfile
from adapters.education.folders import ExchangeFolder
from hub.onboarding import onboard_partner
from hub.runtime import utc_now
from hub.store import DeliveryMode, MessageLog
from signing import DevPki
from tests.factories import make_envelope
from tests.integration.cases.story import set_texts
from tests.integration.gateway.conftest import Gateways, wait_for
from tests.unit.adapters.education import golden

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

SCHOOL = "edu-school-a"
ABSENCES = "absences_2026-03-14.csv"
#: The sample plan's lines (tests/data/SupportPlan-1.0.xml), and whom this plan names.
PLAN = {"ИПСС-0457-03": "health", "ИПСС-0457-07": SCHOOL, "ИПСС-0457-09": "education"}


@pytest.fixture
def school(gateways: Gateways, pki: DevPki, tmp_path: Path) -> tuple[ExchangeFolder, Gateways]:
    """School A registered under education, taking the hub's messages through its gateway."""
    hub = gateways.hub
    with hub.runtime.session_factory.begin() as session:
        onboard_partner(
            session, pki, data_dir=hub.settings.data_dir, code=SCHOOL,
            organisation="МБОУ «СОШ № 12»", endpoint=None, now=utc_now(),
            delivery_mode=DeliveryMode.PULL, agency="education",
        )  # fmt: skip
    folder = ExchangeFolder(tmp_path / "exchange" / SCHOOL).create()
    options = gateways.options(SCHOOL, system=folder.path.as_uri())
    gateways.start(replace(options, agency="education"))
    return folder, gateways


def test_the_schools_files_reach_the_hub_signed_as_the_school(
    school: tuple[ExchangeFolder, Gateways],
) -> None:
    folder, gateways = school

    shutil.copyfile(golden.INBOX / ABSENCES, folder.inbox / ABSENCES)

    wait_for(lambda: (folder.processed / ABSENCES).exists())
    with gateways.hub.runtime.session_factory() as session:
        senders = set(session.scalars(select(MessageLog.sender)))
    assert senders == {SCHOOL}


def test_the_plan_reaches_the_schools_folder_with_only_its_action(
    school: tuple[ExchangeFolder, Gateways],
) -> None:
    folder, gateways = school
    plan = make_envelope("SupportPlan", sender="social", case_ref="KAM-2026-000960")
    set_texts(plan, {"Actions/Action/ResponsibleAgency": list(PLAN.values())})

    with gateways.hub.client("social") as social:
        receipt = social.send(plan)

    wait_for(lambda: list(folder.outbox.glob(f"*_{receipt.message_id}.csv")))
    [written] = folder.outbox.glob(f"*_{receipt.message_id}.csv")
    text = csvfile.decode(written.read_bytes())
    assert [action for action in PLAN if action in text] == ["ИПСС-0457-07"]
