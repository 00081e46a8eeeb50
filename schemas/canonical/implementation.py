"""Implementation stage: executors' ``ActionStatusUpdate`` and ``PeriodicReport`` to the curator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from schemas.canonical.common import (
    Organisation,
    Period,
    Reader,
    Specialist,
    add,
    add_moment,
    add_optional,
    add_organisation,
    add_period,
    add_specialist,
    new_payload,
    read_optional_period,
    read_optional_specialist,
    read_organisation,
    read_period,
)

__all__ = ["ActionReport", "ActionStatusUpdate", "PeriodicReport"]


@dataclass(frozen=True)
class ActionStatusUpdate:
    """An executor's status of one action (мероприятие) of a support plan."""

    action_id: str
    status: str  # assigned | accepted | in_progress | done | cannot_execute | overdue
    status_at: datetime
    organisation: Organisation
    plan_id: str | None = None
    specialist: Specialist | None = None
    period: Period | None = None
    comment: str | None = None
    evidence_ref: str | None = None


@dataclass(frozen=True)
class ActionReport:
    """One action's line in a periodic report."""

    action_id: str
    status: str  # an ActionStatusUpdate status
    summary: str | None = None


@dataclass(frozen=True)
class PeriodicReport:
    """An executor's report on its actions for a period (e.g. a quarter)."""

    report_id: str
    period: Period
    organisation: Organisation
    plan_id: str
    actions: tuple[ActionReport, ...] = ()
    summary: str | None = None
    next_steps: str | None = None


def write_action_status_update(update: ActionStatusUpdate) -> etree._Element:
    root, ns = new_payload("ActionStatusUpdate")
    add(root, ns, "ActionId", update.action_id)
    add_optional(root, ns, "PlanId", update.plan_id)
    add(root, ns, "Status", update.status)
    add_moment(root, ns, "StatusAt", update.status_at)
    add_organisation(root, ns, "ResponsibleOrganisation", update.organisation)
    if update.specialist is not None:
        add_specialist(root, ns, "Specialist", update.specialist)
    if update.period is not None:
        add_period(root, ns, "Period", update.period)
    add_optional(root, ns, "Comment", update.comment)
    add_optional(root, ns, "EvidenceRef", update.evidence_ref)
    return root


def write_periodic_report(report: PeriodicReport) -> etree._Element:
    root, ns = new_payload("PeriodicReport")
    add(root, ns, "ReportId", report.report_id)
    add_period(root, ns, "Period", report.period)
    add_organisation(root, ns, "Organisation", report.organisation)
    add(root, ns, "PlanId", report.plan_id)
    actions = add(root, ns, "Actions")
    for action in report.actions:
        element = add(actions, ns, "ActionReport")
        add(element, ns, "ActionId", action.action_id)
        add(element, ns, "Status", action.status)
        add_optional(element, ns, "Summary", action.summary)
    add_optional(root, ns, "Summary", report.summary)
    add_optional(root, ns, "NextSteps", report.next_steps)
    return root


def read_action_status_update(root: Reader) -> ActionStatusUpdate:
    return ActionStatusUpdate(
        action_id=root.token("ActionId"),
        plan_id=root.optional_token("PlanId"),
        status=root.text("Status"),
        status_at=root.moment("StatusAt"),
        organisation=read_organisation(root.child("ResponsibleOrganisation")),
        specialist=read_optional_specialist(root.optional("Specialist")),
        period=read_optional_period(root.optional("Period")),
        comment=root.optional_text("Comment"),
        evidence_ref=root.optional_token("EvidenceRef"),
    )


def read_periodic_report(root: Reader) -> PeriodicReport:
    return PeriodicReport(
        report_id=root.token("ReportId"),
        period=read_period(root.child("Period")),
        organisation=read_organisation(root.child("Organisation")),
        plan_id=root.token("PlanId"),
        actions=tuple(
            ActionReport(
                action_id=a.token("ActionId"),
                status=a.text("Status"),
                summary=a.optional_text("Summary"),
            )
            for a in root.child("Actions").children("ActionReport")
        ),
        summary=root.optional_text("Summary"),
        next_steps=root.optional_text("NextSteps"),
    )
