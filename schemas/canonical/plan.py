"""Plan stage: the ``SupportPlan`` (ИПСС) with its action lines, and one ``ActionAssignment``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from lxml import etree

from schemas.canonical.common import (
    Curator,
    Organisation,
    Period,
    Reader,
    Specialist,
    add,
    add_day,
    add_moment,
    add_optional,
    add_organisation,
    add_period,
    add_specialist,
    new_payload,
    read_curator,
    read_optional_organisation,
    read_optional_specialist,
    read_period,
)

__all__ = ["ActionAssignment", "PlanAction", "SupportPlan"]


@dataclass(frozen=True)
class PlanAction:
    """One action line (мероприятие) of a support plan."""

    action_id: str
    measure: str
    help_type: str  # social | psychological | pedagogical | medical | legal | employment | other
    responsible_agency: str  # partner system code, e.g. ``health``
    deadline: date
    responsible_organisation: Organisation | None = None
    specialist: Specialist | None = None
    notes: str | None = None


@dataclass(frozen=True)
class SupportPlan:
    """ИПСС / план индивидуальной профилактической работы; a revision resends it whole."""

    plan_id: str
    version: int  # positive, higher for each revision
    period: Period
    approved_at: datetime
    curator: Curator
    actions: tuple[PlanAction, ...]
    approved_by: str | None = None
    goals: str | None = None


@dataclass(frozen=True)
class ActionAssignment:
    """One action of a plan, sent to the one agency responsible for it."""

    plan_id: str
    plan_version: int
    action_id: str
    measure: str
    help_type: str  # social | psychological | pedagogical | medical | legal | employment | other
    responsible_agency: str
    deadline: date
    specialist: Specialist | None = None
    comment: str | None = None


def write_support_plan(plan: SupportPlan) -> etree._Element:
    root, ns = new_payload("SupportPlan")
    add(root, ns, "PlanId", plan.plan_id)
    add(root, ns, "Version", str(plan.version))
    add_period(root, ns, "Period", plan.period)
    add_moment(root, ns, "ApprovedAt", plan.approved_at)
    add_optional(root, ns, "ApprovedBy", plan.approved_by)
    add_specialist(root, ns, "Curator", plan.curator)
    add_optional(root, ns, "Goals", plan.goals)
    actions = add(root, ns, "Actions")
    for action in plan.actions:
        element = add(actions, ns, "Action")
        add(element, ns, "ActionId", action.action_id)
        add(element, ns, "Measure", action.measure)
        add(element, ns, "HelpType", action.help_type)
        add(element, ns, "ResponsibleAgency", action.responsible_agency)
        if action.responsible_organisation is not None:
            add_organisation(
                element, ns, "ResponsibleOrganisation", action.responsible_organisation
            )
        if action.specialist is not None:
            add_specialist(element, ns, "Specialist", action.specialist)
        add_day(element, ns, "Deadline", action.deadline)
        add_optional(element, ns, "Notes", action.notes)
    return root


def write_action_assignment(assignment: ActionAssignment) -> etree._Element:
    root, ns = new_payload("ActionAssignment")
    add(root, ns, "PlanId", assignment.plan_id)
    add(root, ns, "PlanVersion", str(assignment.plan_version))
    add(root, ns, "ActionId", assignment.action_id)
    add(root, ns, "Measure", assignment.measure)
    add(root, ns, "HelpType", assignment.help_type)
    add(root, ns, "ResponsibleAgency", assignment.responsible_agency)
    add_day(root, ns, "Deadline", assignment.deadline)
    if assignment.specialist is not None:
        add_specialist(root, ns, "Specialist", assignment.specialist)
    add_optional(root, ns, "Comment", assignment.comment)
    return root


def _read_plan_action(reader: Reader) -> PlanAction:
    return PlanAction(
        action_id=reader.token("ActionId"),
        measure=reader.token("Measure"),
        help_type=reader.text("HelpType"),
        responsible_agency=reader.text("ResponsibleAgency"),
        responsible_organisation=read_optional_organisation(
            reader.optional("ResponsibleOrganisation")
        ),
        specialist=read_optional_specialist(reader.optional("Specialist")),
        deadline=reader.day("Deadline"),
        notes=reader.optional_text("Notes"),
    )


def read_support_plan(root: Reader) -> SupportPlan:
    return SupportPlan(
        plan_id=root.token("PlanId"),
        version=root.number("Version"),
        period=read_period(root.child("Period")),
        approved_at=root.moment("ApprovedAt"),
        approved_by=root.optional_token("ApprovedBy"),
        curator=read_curator(root.child("Curator")),
        goals=root.optional_text("Goals"),
        actions=tuple(_read_plan_action(a) for a in root.child("Actions").children("Action")),
    )


def read_action_assignment(root: Reader) -> ActionAssignment:
    return ActionAssignment(
        plan_id=root.token("PlanId"),
        plan_version=root.number("PlanVersion"),
        action_id=root.token("ActionId"),
        measure=root.token("Measure"),
        help_type=root.text("HelpType"),
        responsible_agency=root.text("ResponsibleAgency"),
        deadline=root.day("Deadline"),
        specialist=read_optional_specialist(root.optional("Specialist")),
        comment=root.optional_text("Comment"),
    )
