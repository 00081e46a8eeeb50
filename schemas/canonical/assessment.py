"""Survey, consent and decision stages: ``SurveyAct``, ``ConsentRecord``, ``CaseDecision``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from lxml import etree

from schemas.canonical.common import (
    Address,
    Child,
    Curator,
    DecisionBody,
    Organisation,
    PersonName,
    Reader,
    Specialist,
    add,
    add_address,
    add_child,
    add_day,
    add_decision_body,
    add_moment,
    add_name,
    add_optional,
    add_organisation,
    add_specialist,
    new_payload,
    read_address,
    read_child,
    read_decision_body,
    read_name,
    read_optional_curator,
    read_organisation,
    read_specialist,
)

__all__ = ["CaseDecision", "ConsentRecord", "SurveyAct"]


@dataclass(frozen=True)
class SurveyAct:
    """Акт обследования жилищно-бытовых условий: a home visit and its risk assessment."""

    survey_id: str
    surveyed_at: datetime
    organisation: Organisation
    specialists: tuple[Specialist, ...]
    risk_level: str  # low | medium | high | critical
    needs_support: bool
    address: Address | None = None
    children_seen: tuple[Child, ...] = ()
    housing_conditions: str | None = None
    findings: str | None = None
    health_observations: str | None = None
    recommendations: str | None = None


@dataclass(frozen=True)
class ConsentRecord:
    """A family's consent to support or data exchange, its refusal or its withdrawal."""

    consent_id: str
    status: str  # given | refused | withdrawn
    scopes: tuple[str, ...]  # support | data_processing | data_exchange | medical
    recorded_at: datetime
    given_by: PersonName | None = None
    given_by_role: str | None = None  # mother | father | guardian | other
    document_ref: str | None = None
    valid_until: date | None = None


@dataclass(frozen=True)
class CaseDecision:
    """A decision body's decision: is the family recognised as needing support, and how."""

    decision_id: str
    decided_at: datetime
    decision_body: DecisionBody
    outcome: str  # recognised | not_recognised | deferred
    category: str | None = None  # tjs | sop
    risk_level: str | None = None  # low | medium | high | critical
    curator: Curator | None = None
    curator_organisation: Organisation | None = None
    protocol_ref: str | None = None
    grounds: str | None = None


def write_survey_act(act: SurveyAct) -> etree._Element:
    root, ns = new_payload("SurveyAct")
    add(root, ns, "SurveyId", act.survey_id)
    add_moment(root, ns, "SurveyedAt", act.surveyed_at)
    add_organisation(root, ns, "Organisation", act.organisation)
    specialists = add(root, ns, "Specialists")
    for specialist in act.specialists:
        add_specialist(specialists, ns, "Specialist", specialist)
    if act.address is not None:
        add_address(root, ns, act.address)
    children = add(root, ns, "ChildrenSeen")
    for child in act.children_seen:
        add_child(children, ns, child)
    add_optional(root, ns, "HousingConditions", act.housing_conditions)
    add_optional(root, ns, "Findings", act.findings)
    add_optional(root, ns, "HealthObservations", act.health_observations)
    add(root, ns, "RiskLevel", act.risk_level)
    add(root, ns, "NeedsSupport", "true" if act.needs_support else "false")
    add_optional(root, ns, "Recommendations", act.recommendations)
    return root


def write_consent_record(record: ConsentRecord) -> etree._Element:
    root, ns = new_payload("ConsentRecord")
    add(root, ns, "ConsentId", record.consent_id)
    add(root, ns, "Status", record.status)
    scopes = add(root, ns, "Scopes")
    for scope in record.scopes:
        add(scopes, ns, "Scope", scope)
    add_moment(root, ns, "RecordedAt", record.recorded_at)
    if record.given_by is not None:
        add_name(root, ns, "GivenBy", record.given_by)
    add_optional(root, ns, "GivenByRole", record.given_by_role)
    add_optional(root, ns, "DocumentRef", record.document_ref)
    add_day(root, ns, "ValidUntil", record.valid_until)
    return root


def write_case_decision(decision: CaseDecision) -> etree._Element:
    root, ns = new_payload("CaseDecision")
    add(root, ns, "DecisionId", decision.decision_id)
    add_moment(root, ns, "DecidedAt", decision.decided_at)
    add_decision_body(root, ns, "DecisionBody", decision.decision_body)
    add(root, ns, "Outcome", decision.outcome)
    add_optional(root, ns, "Category", decision.category)
    add_optional(root, ns, "RiskLevel", decision.risk_level)
    if decision.curator is not None:
        add_specialist(root, ns, "Curator", decision.curator)
    if decision.curator_organisation is not None:
        add_organisation(root, ns, "CuratorOrganisation", decision.curator_organisation)
    add_optional(root, ns, "ProtocolRef", decision.protocol_ref)
    add_optional(root, ns, "Grounds", decision.grounds)
    return root


def read_survey_act(root: Reader) -> SurveyAct:
    address = root.optional("Address")
    return SurveyAct(
        survey_id=root.token("SurveyId"),
        surveyed_at=root.moment("SurveyedAt"),
        organisation=read_organisation(root.child("Organisation")),
        specialists=tuple(
            read_specialist(s) for s in root.child("Specialists").children("Specialist")
        ),
        address=None if address is None else read_address(address),
        children_seen=tuple(read_child(c) for c in root.child("ChildrenSeen").children("Child")),
        housing_conditions=root.optional_text("HousingConditions"),
        findings=root.optional_text("Findings"),
        health_observations=root.optional_text("HealthObservations"),
        risk_level=root.text("RiskLevel"),
        needs_support=root.flag("NeedsSupport"),
        recommendations=root.optional_text("Recommendations"),
    )


def read_consent_record(root: Reader) -> ConsentRecord:
    given_by = root.optional("GivenBy")
    return ConsentRecord(
        consent_id=root.token("ConsentId"),
        status=root.text("Status"),
        scopes=root.child("Scopes").texts("Scope"),
        recorded_at=root.moment("RecordedAt"),
        given_by=None if given_by is None else read_name(given_by),
        given_by_role=root.optional_text("GivenByRole"),
        document_ref=root.optional_token("DocumentRef"),
        valid_until=root.optional_day("ValidUntil"),
    )


def read_case_decision(root: Reader) -> CaseDecision:
    curator_organisation = root.optional("CuratorOrganisation")
    return CaseDecision(
        decision_id=root.token("DecisionId"),
        decided_at=root.moment("DecidedAt"),
        decision_body=read_decision_body(root.child("DecisionBody")),
        outcome=root.text("Outcome"),
        category=root.optional_text("Category"),
        risk_level=root.optional_text("RiskLevel"),
        curator=read_optional_curator(root.optional("Curator")),
        curator_organisation=None
        if curator_organisation is None
        else read_organisation(curator_organisation),
        protocol_ref=root.optional_token("ProtocolRef"),
        grounds=root.optional_text("Grounds"),
    )
