"""Case tracker tables: each family's case as the accepted messages tell it.

A projection of the message log, written in the same transaction as the message
that changes it and rebuildable from the log (``hub cases rebuild``): the case,
its referrals, plan versions, action lines with their status history, periodic
reports, deadlines, and the conflicts found in messages that contradict the case.
Free-text fields hold personal data of a sensitivity class (noted per column);
readers filter them per role.
"""

import enum
from datetime import date, datetime

from sqlalchemy import Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.store.base import Base
from hub.store.types import BigId, intpk, system_code

#: Lengths shared by the case tables.
_REF = String(64)
_NAME = String(200)
_ORGANISATION = String(300)


class CaseFile(Base):
    """A family's case (keyed by the CaseRef its owner assigned) and where it stands."""

    __tablename__ = "case_file"

    id: Mapped[intpk]
    case_ref: Mapped[str] = mapped_column(_REF, unique=True)
    #: Region code (region rules file); from the family's address in the referral.
    region: Mapped[str | None] = mapped_column(String(32), index=True)
    #: signal, survey, consent, decision, plan, implementation, closure, post_support.
    state: Mapped[str] = mapped_column(String(16), default="signal")
    category: Mapped[str | None] = mapped_column(String(8))  # sop | tjs, once decided
    risk_level: Mapped[str | None] = mapped_column(String(16))
    urgent: Mapped[bool] = mapped_column(default=False)
    #: [identity] e.g. "Вершинина Ольга Сергеевна"; shown only to roles that see the case.
    family_name: Mapped[str | None] = mapped_column(_NAME)
    children_count: Mapped[int | None]
    referrer: Mapped[str | None] = mapped_column(String(32))
    decision_body_kind: Mapped[str | None] = mapped_column(String(32))
    decision_body_name: Mapped[str | None] = mapped_column(_ORGANISATION)
    decision_outcome: Mapped[str | None] = mapped_column(String(16))
    #: [identity] the curator's full name, as the decision or plan gives it (or the account
    #: a supervisor assigned); shown, never matched: scope goes by ``curator_staff_id``.
    curator_name: Mapped[str | None] = mapped_column(_NAME, index=True)
    curator_organisation: Mapped[str | None] = mapped_column(_ORGANISATION)
    #: The staff id of the curator in charge: the account with this ``Person.staff_id`` (of the
    #: case's region) sees the case; None = no curator known, the supervisor alone sees it.
    curator_staff_id: Mapped[str | None] = mapped_column(_REF, index=True)
    #: The staff id the case owner's messages last named, and since when: a supervisor's
    #: assignment holds until a later message names another curator than this one.
    named_curator_staff_id: Mapped[str | None] = mapped_column(_REF)
    curator_named_at: Mapped[datetime | None]
    consent_status: Mapped[str | None] = mapped_column(String(16))
    signal_at: Mapped[datetime | None]
    receipt_at: Mapped[datetime | None]
    survey_at: Mapped[datetime | None]
    consent_at: Mapped[datetime | None]
    decision_at: Mapped[datetime | None]
    plan_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    closure_reason: Mapped[str | None] = mapped_column(String(32))
    post_support_until: Mapped[date | None]
    opened_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    referrals: Mapped[list["CaseReferral"]] = relationship(
        back_populates="case", order_by="CaseReferral.id"
    )
    plans: Mapped[list["CasePlan"]] = relationship(order_by="CasePlan.id")
    actions: Mapped[list["CaseAction"]] = relationship(
        back_populates="case", order_by="CaseAction.id"
    )
    reports: Mapped[list["CaseReport"]] = relationship(order_by="CaseReport.id")
    deadlines: Mapped[list["CaseDeadline"]] = relationship(order_by="CaseDeadline.due_at")
    conflicts: Mapped[list["CaseConflict"]] = relationship(order_by="CaseConflict.id")

    def __repr__(self) -> str:
        return f"CaseFile(case_ref={self.case_ref!r}, state={self.state!r})"


class CaseReferral(Base):
    """A signal about a family (FamilyReferral); linked to a case once its owner registers it."""

    __tablename__ = "case_referral"

    id: Mapped[intpk]
    message_log_id: Mapped[int] = mapped_column(BigId, ForeignKey("message_log.id"), unique=True)
    message_id: Mapped[str] = mapped_column(String(36), index=True)
    sender: Mapped[system_code]
    case_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("case_file.id"), index=True)
    referral_id: Mapped[str] = mapped_column(_REF)
    detected_at: Mapped[datetime]
    received_at: Mapped[datetime]
    urgent: Mapped[bool]
    region: Mapped[str] = mapped_column(String(32))
    #: [identity]
    family_name: Mapped[str | None] = mapped_column(_NAME)
    children_count: Mapped[int]
    #: When the owner's ReferralReceipt is due, by the region's rules.
    receipt_due_at: Mapped[datetime]
    receipt_at: Mapped[datetime | None]

    case: Mapped[CaseFile | None] = relationship(back_populates="referrals")


class CasePlan(Base):
    """One version of a case's support plan (ИПСС); a revision adds a row."""

    __tablename__ = "case_plan"
    __table_args__ = (UniqueConstraint("case_id", "plan_id", "version"),)

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("case_file.id"), index=True)
    message_log_id: Mapped[int] = mapped_column(BigId, ForeignKey("message_log.id"))
    plan_id: Mapped[str] = mapped_column(_REF)
    version: Mapped[int]
    approved_at: Mapped[datetime]
    period_from: Mapped[date]
    period_to: Mapped[date | None]
    approved_by: Mapped[str | None] = mapped_column(_ORGANISATION)
    #: [identity]
    curator_name: Mapped[str] = mapped_column(_NAME)
    #: [social]
    goals: Mapped[str | None] = mapped_column(Text)
    actions_count: Mapped[int]


class CaseAction(Base):
    """An action line of the plan (мероприятие) as it stands now; its history is below."""

    __tablename__ = "case_action"
    __table_args__ = (UniqueConstraint("case_id", "action_id"),)

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("case_file.id"), index=True)
    plan_id: Mapped[str] = mapped_column(_REF)
    plan_version: Mapped[int]
    action_id: Mapped[str] = mapped_column(_REF)
    measure: Mapped[str] = mapped_column(Text)
    help_type: Mapped[str] = mapped_column(String(16))
    #: The agency (``partner.adapter``) of the executor: need-to-know and statistics go by it.
    responsible_agency: Mapped[system_code]
    #: The partner the action goes to: the agency's own system, or an organisation of it
    #: named in the plan (a school, a hospital); it owes the action's statuses and reports.
    executor: Mapped[system_code]
    responsible_organisation: Mapped[str | None] = mapped_column(_ORGANISATION)
    #: [identity] the executor's specialist for the action, and how to reach them.
    specialist_name: Mapped[str | None] = mapped_column(_NAME)
    specialist_position: Mapped[str | None] = mapped_column(_ORGANISATION)
    specialist_phone: Mapped[str | None] = mapped_column(String(32))
    deadline: Mapped[date]
    #: The end of the deadline's day in the region's time zone.
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))
    status_at: Mapped[datetime]
    #: False once a later plan version drops the line.
    in_plan: Mapped[bool] = mapped_column(default=True)
    #: [social]
    notes: Mapped[str | None] = mapped_column(Text)

    case: Mapped[CaseFile] = relationship(back_populates="actions")
    history: Mapped[list["CaseActionStatus"]] = relationship(order_by="CaseActionStatus.id")


class CaseActionStatus(Base):
    """One reported status of an action line: who said what, when."""

    __tablename__ = "case_action_status"

    id: Mapped[intpk]
    action_row_id: Mapped[int] = mapped_column(BigId, ForeignKey("case_action.id"), index=True)
    message_log_id: Mapped[int] = mapped_column(BigId, ForeignKey("message_log.id"))
    reporter: Mapped[system_code]
    status: Mapped[str] = mapped_column(String(16))
    status_at: Mapped[datetime]
    organisation: Mapped[str | None] = mapped_column(_ORGANISATION)
    #: [social]
    comment: Mapped[str | None] = mapped_column(Text)


class CaseReport(Base):
    """A periodic report an executor sent on the case."""

    __tablename__ = "case_report"

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("case_file.id"), index=True)
    message_log_id: Mapped[int] = mapped_column(BigId, ForeignKey("message_log.id"))
    report_id: Mapped[str] = mapped_column(_REF)
    sender: Mapped[system_code]
    plan_id: Mapped[str] = mapped_column(_REF)
    period_from: Mapped[date]
    period_to: Mapped[date | None]
    received_at: Mapped[datetime]
    #: [social]
    summary: Mapped[str | None] = mapped_column(Text)


class DeadlineOutcome(enum.StrEnum):
    """How a deadline's clock stopped."""

    MET = "met"  # the answer it waited for arrived
    WITHDRAWN = "withdrawn"  # the case was closed first: снято с контроля при закрытии
    DROPPED = "dropped"  # a later plan version dropped the action line it watched


class CaseDeadline(Base):
    """Something due on the case by a time: met by a message, or escalated once when late.

    ``kind`` is survey, decision, plan, acceptance, action, information_response or
    report; ``subject`` names what within the case (an action id, a request id, a
    report period), empty for a stage of the case itself.
    """

    __tablename__ = "case_deadline"
    __table_args__ = (
        UniqueConstraint("case_id", "kind", "subject"),
        Index("ix_case_deadline_open_due", "met_at", "escalated_at", "due_at"),
    )

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("case_file.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    subject: Mapped[str] = mapped_column(_REF, default="")
    #: The agency that owes it (system code).
    responsible: Mapped[system_code]
    due_at: Mapped[datetime]
    #: The rule counts hours (``24 hours``): the due time matters, not only the day;
    #: otherwise ``due_at`` is the local midnight that ends the due day.
    in_hours: Mapped[bool] = mapped_column(default=False)
    #: When the clock stopped: met, withdrawn or dropped (``outcome`` says which); None
    #: while it runs.
    met_at: Mapped[datetime | None]
    outcome: Mapped[DeadlineOutcome | None] = mapped_column(
        Enum(
            DeadlineOutcome,
            name="deadlineoutcome",
            native_enum=False,
            length=16,
            values_callable=lambda members: [m.value for m in members],
            validate_strings=True,
        )
    )
    #: Set once, in the transaction that records the escalation.
    escalated_at: Mapped[datetime | None]
    #: The hub's notice sent on escalation (MessageId), if the kind sends one.
    escalation_message_id: Mapped[str | None] = mapped_column(String(36))


class CaseConsent(Base):
    """A family's consent (ConsentRecord) as it stands now, one row per ConsentId on the case.

    A later ConsentRecord with the same ConsentId replaces status, scopes and validity (a
    withdrawal, a narrowing); ingest reads these rows to check a message's ConsentRef and
    to narrow what later copies carry.
    """

    __tablename__ = "case_consent"
    __table_args__ = (UniqueConstraint("case_id", "consent_id"),)

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("case_file.id"), index=True)
    #: The message that last set the row.
    message_log_id: Mapped[int] = mapped_column(BigId, ForeignKey("message_log.id"))
    consent_id: Mapped[str] = mapped_column(_REF, index=True)
    status: Mapped[str] = mapped_column(String(16))  # given | refused | withdrawn
    #: Comma-separated scopes: support, data_processing, data_exchange, medical.
    scopes: Mapped[str] = mapped_column(String(64))
    valid_until: Mapped[date | None]
    recorded_at: Mapped[datetime]


class CaseConflict(Base):
    """An accepted message that contradicts its case: logged and delivered, not applied."""

    __tablename__ = "case_conflict"

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("case_file.id"), index=True)
    message_log_id: Mapped[int] = mapped_column(BigId, ForeignKey("message_log.id"))
    sender: Mapped[system_code]
    message_type: Mapped[str] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(String(64))
    #: Machine-made text (ids, states); never personal data.
    detail: Mapped[str] = mapped_column(String(500))
    detected_at: Mapped[datetime]


class CaseCuratorAssignment(Base):
    """A supervisor's (re)assignment of a case's curator: who, when, from whom to whom.

    Kept by case reference, not by row, so it outlives ``hub cases rebuild``, which
    re-applies the assignments still in force after replaying the log.
    """

    __tablename__ = "case_curator_assignment"

    id: Mapped[intpk]
    case_ref: Mapped[str] = mapped_column(_REF, index=True)
    at: Mapped[datetime]
    #: The supervisor's login.
    assigned_by: Mapped[str] = mapped_column(String(64))
    from_staff_id: Mapped[str | None] = mapped_column(_REF)
    #: [identity]
    from_name: Mapped[str | None] = mapped_column(_NAME)
    to_staff_id: Mapped[str] = mapped_column(_REF)
    #: [identity]
    to_name: Mapped[str] = mapped_column(_NAME)
