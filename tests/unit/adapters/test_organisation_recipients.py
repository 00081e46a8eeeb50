"""A school, a hospital or a district employment centre registered under its agency gets, of
a plan, only the actions its own code is named for: the transports read the recipient, not
the agency's code."""

import json
from pathlib import Path
from typing import Any

import httpx
from lxml import etree

import schemas
from adapters.base import OutboundMessage
from adapters.education import EducationTransport, ExchangeFolder, csvfile
from adapters.employment.transport import EmploymentTransport
from adapters.health.transport import HealthTransport
from tests.integration.cases.story import set_texts
from tests.unit.adapters.health import cases

#: The sample plan's lines (tests/data/SupportPlan-1.0.xml), each named for an organisation.
PLAN = {
    "ИПСС-0457-03": "health-crb-2",
    "ИПСС-0457-07": "edu-school-a",
    "ИПСС-0457-09": "edu-school-b",
}


def _plan_for(recipient: str, plan: dict[str, str] = PLAN) -> OutboundMessage:
    envelope = cases.sample("SupportPlan-1.0")
    set_texts(envelope, {"Actions/Action/ResponsibleAgency": list(plan.values())})
    header = schemas.read_header(envelope)
    return OutboundMessage(
        delivery_id=1,
        recipient=recipient,
        message_id=header.message_id,
        message_type=header.message_type,
        priority="routine",
        envelope=etree.tostring(envelope),
    )


def test_each_school_file_holds_only_the_actions_named_for_that_school(tmp_path: Path) -> None:
    found = {}
    for school in ("edu-school-a", "edu-school-b"):
        folder = ExchangeFolder(tmp_path / school)
        folder.outbox.mkdir(parents=True)
        EducationTransport(folder).deliver(_plan_for(school))
        [written] = folder.outbox.iterdir()
        text = csvfile.decode(written.read_bytes())
        found[school] = [action for action in PLAN if action in text]

    assert found == {"edu-school-a": ["ИПСС-0457-07"], "edu-school-b": ["ИПСС-0457-09"]}


def test_a_hospital_gets_a_task_for_the_action_named_for_it_and_the_agency_none() -> None:
    posted: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        posted.append(json.loads(request.content))
        return httpx.Response(200, json={"resourceType": "Bundle", "type": "transaction-response"})

    transport = HealthTransport(
        "http://fhir.test", httpx.Client(transport=httpx.MockTransport(handler))
    )
    transport.deliver(_plan_for("health-crb-2"))
    transport.deliver(_plan_for("health"))

    tasks = [
        sum(1 for entry in bundle["entry"] if entry["resource"]["resourceType"] == "Task")
        for bundle in posted
    ]
    assert tasks == [1, 0]


def test_a_district_employment_centre_gets_a_record_of_the_actions_named_for_it() -> None:
    posted: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        posted.append(json.loads(request.content))
        return httpx.Response(201, json={"record_number": "Z-1"})

    plan = {**PLAN, "ИПСС-0457-07": "empl-district-2", "ИПСС-0457-09": "employment"}
    transport = EmploymentTransport(
        "http://czn.test", httpx.Client(transport=httpx.MockTransport(handler))
    )
    transport.deliver(_plan_for("empl-district-2", plan))
    transport.deliver(_plan_for("employment", plan))

    assert [[a["action_id"] for a in record["actions"]] for record in posted] == [
        ["ИПСС-0457-07"],
        ["ИПСС-0457-09"],
    ]
