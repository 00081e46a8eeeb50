"""The centre's simulator drives a case: control endpoints → translate → sign → the hub.

The hub is a ``RecordingHub`` (``httpx.MockTransport``) behind a real HubClient: what the
centre would send is recorded, signed, and read back here. Inbound, every type routed to
the centre arrives through SocialTransport over loopback.
"""

import re
from pathlib import Path

import httpx
import pytest
from lxml import etree

import schemas
from adapters.base import OutboundMessage
from adapters.social.simulator import create_app
from adapters.social.transport import SocialTransport
from tests.integration.adapters.conftest import ServerAndHub, StartWithHub, wait_for
from tests.integration.cases.story import set_texts
from tests.unit.adapters import golden

C = "{urn:family-hub:common:1}"


def _outbound(envelope: etree._Element, delivery_id: int = 1) -> OutboundMessage:
    header = schemas.read_header(envelope)
    return OutboundMessage(
        delivery_id=delivery_id,
        recipient="social",
        message_id=header.message_id,
        message_type=header.message_type,
        priority="routine",
        envelope=etree.tostring(envelope),
    )


@pytest.fixture
def centre(start_with_hub: StartWithHub, tmp_path: Path) -> ServerAndHub:
    return start_with_hub(create_app, "social", tmp_path / "state")


@pytest.fixture
def case_ref(centre: ServerAndHub) -> str:
    """A case opened by delivering the police referral; its receipt reached the hub."""
    server, hub = centre
    with SocialTransport.connect(server.url, 5.0) as transport:
        transport.deliver(_outbound(golden.referral_envelope()))
    wait_for(lambda: hub.sent_of("ReferralReceipt") and hub.sent_of("ActionStatusUpdate"))
    (receipt,) = hub.sent_of("ReferralReceipt")
    assert receipt.case_ref is not None
    return receipt.case_ref


def test_a_new_referral_opens_a_case_named_in_the_receipts_envelope(
    centre: ServerAndHub, case_ref: str
) -> None:
    server, hub = centre
    referral_id = golden.referral_envelope().findtext("{*}Header/{*}MessageId")

    assert re.fullmatch(r"KAM-20\d\d-\d{6}", case_ref)
    (receipt,) = hub.sent_of("ReferralReceipt")
    assert receipt.correlation_id == referral_id
    assert receipt.sender == "social"
    (survey_status,) = hub.sent_of("ActionStatusUpdate")
    assert survey_status.case_ref == case_ref
    state = httpx.get(f"{server.url}/state").json()
    assert state["referrals"] == {referral_id: case_ref}
    assert state["cases"][case_ref]["referral_message_id"] == referral_id


@pytest.mark.parametrize(
    ("command", "body", "message_type"),
    [
        ("survey", {}, "SurveyAct"),
        ("consent", {}, "ConsentRecord"),
        ("decision", {}, "CaseDecision"),
        ("plan", {}, "SupportPlan"),
        ("information-request", {"agency": "police"}, "InformationRequest"),
        ("closure", {"reason": "moved_away"}, "CaseClosure"),
    ],
)
def test_each_command_sends_its_message_on_the_case(
    centre: ServerAndHub, case_ref: str, command: str, body: dict[str, str], message_type: str
) -> None:
    server, hub = centre

    answer = httpx.post(f"{server.url}/cases/{case_ref}/{command}", json=body)

    assert answer.status_code == 202, answer.text
    (message,) = answer.json()["messages"]
    assert (message["message_type"], message["status"]) == (message_type, "sent")
    (sent,) = hub.sent_of(message_type)
    assert (sent.message_id, sent.case_ref, sent.sender) == (
        message["message_id"],
        case_ref,
        "social",
    )


def test_the_plan_has_lines_for_each_executor_and_revisions_count_up(
    centre: ServerAndHub, case_ref: str
) -> None:
    server, hub = centre

    first = httpx.post(f"{server.url}/cases/{case_ref}/plan").json()
    second = httpx.post(f"{server.url}/cases/{case_ref}/plan").json()
    assignment = httpx.post(
        f"{server.url}/cases/{case_ref}/assignment", json={"agency": "employment"}
    ).json()

    assert {a["agency"] for a in first["event"]["actions"]} == {
        "social",
        "health",
        "education",
        "employment",
    }
    assert (first["event"]["version"], second["event"]["version"]) == (1, 2)
    assert second["event"]["plan_number"] == first["event"]["plan_number"]
    plans = [e for e in hub.sent if e.findtext("{*}Header/{*}MessageType") == "SupportPlan"]
    assert [p.findtext(".//{*}SupportPlan/{*}Version") for p in plans] == ["1", "2"]
    assert assignment["event"]["agency"] == "employment"
    (sent,) = [e for e in hub.sent if e.findtext("{*}Header/{*}MessageType") == "ActionAssignment"]
    assert sent.findtext(".//{*}ActionAssignment/{*}PlanVersion") == "2"


def test_a_request_names_its_one_recipient(centre: ServerAndHub, case_ref: str) -> None:
    server, hub = centre

    httpx.post(f"{server.url}/cases/{case_ref}/information-request", json={"agency": "employment"})

    (request,) = hub.sent_of("InformationRequest")
    assert request.recipients == ("employment",)


def test_the_curator_tells_an_executor_its_action_is_overdue(
    centre: ServerAndHub, case_ref: str
) -> None:
    server, hub = centre
    plan = httpx.post(f"{server.url}/cases/{case_ref}/plan").json()["event"]
    health_line = next(a for a in plan["actions"] if a["agency"] == "health")

    answer = httpx.post(f"{server.url}/cases/{case_ref}/overdue", json={"agency": "health"})

    assert answer.status_code == 202, answer.text
    (notice,) = [
        e for e in hub.sent if e.findtext(".//{*}ActionStatusUpdate/{*}Status") == "overdue"
    ]
    assert notice.findtext(".//{*}ActionStatusUpdate/{*}ActionId") == health_line["action_id"]
    assert [r.text for r in notice.iterfind("{*}Header/{*}Recipients/{*}Recipient")] == ["health"]


def test_the_body_overrides_the_defaults(centre: ServerAndHub, case_ref: str) -> None:
    server, hub = centre

    httpx.post(f"{server.url}/cases/{case_ref}/survey", json={"risk_level": "critical"})

    (act,) = [e for e in hub.sent if e.findtext("{*}Header/{*}MessageType") == "SurveyAct"]
    assert act.findtext(".//{*}SurveyAct/{*}RiskLevel") == "critical"
    # The children seen are the referral's.
    assert len(act.findall(".//{*}ChildrenSeen/{*}Child")) == 2


@pytest.mark.parametrize(
    ("command", "body", "field"),
    [
        ("survey", {"risk_level": "extreme"}, "risk_level"),
        ("information-request", {}, "agency"),
        ("assignment", {}, "plan"),
        ("closure", {"reason": "tired"}, "reason"),
    ],
)
def test_a_body_the_translation_refuses_is_a_422_naming_the_field(
    centre: ServerAndHub, case_ref: str, command: str, body: dict[str, str], field: str
) -> None:
    server, hub = centre
    before = len(hub.sent)

    answer = httpx.post(f"{server.url}/cases/{case_ref}/{command}", json=body)

    assert answer.status_code == 422
    assert answer.json()["field"] == field
    assert len(hub.sent) == before


def test_an_unknown_case_is_a_404(centre: ServerAndHub) -> None:
    server, _ = centre
    assert httpx.post(f"{server.url}/cases/KAM-2026-999999/survey").status_code == 404


@pytest.mark.parametrize(
    ("source", "name", "message_type"),
    [
        ("employment", "periodic_report", "PeriodicReport"),
        ("employment", "action_status", "ActionStatusUpdate"),
        ("employment", "information_response", "InformationResponse"),
        ("employment", "referral", "FamilyReferral"),
        ("police", "answer", "InformationResponse"),
        ("kdn", "decision", "CaseDecision"),
        ("kdn", "registration", "ReferralReceipt"),
    ],
)
def test_every_type_routed_to_the_centre_is_accepted_and_listed(
    centre: ServerAndHub, source: str, name: str, message_type: str
) -> None:
    server, _ = centre
    envelope = golden.envelope(source, name)
    header_id = envelope.findtext("{*}Header/{*}MessageId")

    with SocialTransport.connect(server.url, 5.0) as transport:
        result = transport.deliver(_outbound(envelope))

    assert result.remote_reference is not None
    assert result.remote_reference.startswith("СРЦ-")
    (item,) = httpx.get(f"{server.url}/state").json()["received"]
    assert (item["message_id"], item["message_type"]) == (header_id, message_type)
    assert item["sender"] == source
    assert item["correlation_id"] == envelope.findtext("{*}Header/{*}CorrelationId")
    assert item["case_ref"] == envelope.findtext("{*}Header/{*}CaseRef")


def test_the_commissions_decision_updates_the_case(centre: ServerAndHub, case_ref: str) -> None:
    server, _ = centre
    decision = golden.envelope("kdn", "decision")
    golden.set_text(decision, "{*}Header/{*}CaseRef", case_ref)

    with SocialTransport.connect(server.url, 5.0) as transport:
        transport.deliver(_outbound(decision, delivery_id=2))

    case = httpx.get(f"{server.url}/state").json()["cases"][case_ref]
    assert (case["category"], case["decision_outcome"]) == ("sop", "recognised")


def test_a_command_the_hub_refuses_is_refused_with_its_code(
    centre: ServerAndHub, case_ref: str
) -> None:
    server, hub = centre
    hub.refusing["SurveyAct"] = "routing.sender_not_allowed"

    answer = httpx.post(f"{server.url}/cases/{case_ref}/survey", json={})

    assert answer.status_code == 202
    (message,) = answer.json()["messages"]
    assert (message["status"], message["error"]) == ("refused", "routing.sender_not_allowed")
    assert hub.sent_of("SurveyAct") == []


def test_a_kaluga_family_is_numbered_curated_and_planned_by_the_kaluga_desk(
    centre: ServerAndHub,
) -> None:
    # Given a referral of a family whose address is in Kaluga
    server, hub = centre
    referral = golden.referral_envelope()
    set_texts(referral, {"Family/Address/Region": "Калужская  обл."})
    with SocialTransport.connect(server.url, 5.0) as transport:
        transport.deliver(_outbound(referral))
    wait_for(lambda: hub.sent_of("ReferralReceipt"))
    (receipt,) = hub.sent_of("ReferralReceipt")
    assert receipt.case_ref is not None
    case_ref = receipt.case_ref

    # When the curator approves its plan
    plan = httpx.post(f"{server.url}/cases/{case_ref}/plan").json()["event"]

    # Then the case carries Kaluga's prefix, the Kaluga centre answers, and each line goes
    # to the Kaluga organisation that executes it (the school, not on the hub, has none)
    assert re.fullmatch(r"KLG-20\d\d-\d{6}", case_ref)
    state = httpx.get(f"{server.url}/state").json()
    assert state["cases"][case_ref]["curator"]["phone"].startswith("+7 4842")
    assert "Калужский" in plan["organisation"]
    assert {a["agency"]: a.get("executor_code") for a in plan["actions"]} == {
        "social": None,
        "health": "klg-hospital",
    }
    (sent,) = [e for e in hub.sent if e.findtext("{*}Header/{*}MessageType") == "SupportPlan"]
    assert [a.text for a in sent.iterfind(".//{*}Action/{*}ResponsibleAgency")] == [
        "social",
        "klg-hospital",
    ]


def test_after_the_consent_the_centre_names_it_on_what_it_sends(
    centre: ServerAndHub, case_ref: str
) -> None:
    server, hub = centre

    httpx.post(f"{server.url}/cases/{case_ref}/consent")
    httpx.post(f"{server.url}/cases/{case_ref}/plan")

    (consent,) = hub.sent_of("ConsentRecord")
    (plan,) = hub.sent_of("SupportPlan")
    number = httpx.get(f"{server.url}/state").json()["cases"][case_ref]["consent_ref"]
    assert number.startswith("СОГЛ-")
    # The plan rests on the consent (the hub checks the reference); the record names none.
    assert (consent.consent_ref, plan.consent_ref) == (None, number)
