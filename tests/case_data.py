"""A small, fixed set of cases in two regions, written straight through the ORM.

The read-model, page and browser tests share it, so each knows what every role
should and should not see. Times hang off ``now`` so "overdue" is decided by the
test, not by the wall clock. Messages are stored rows (no signatures): the read
side only looks at their metadata and deliveries.
"""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from hub.store import (
    CaseAction,
    CaseActionStatus,
    CaseConflict,
    CaseDeadline,
    CaseFile,
    CasePlan,
    CaseReferral,
    CaseReport,
    DeadlineOutcome,
    DeliveryMode,
    DeliveryStatus,
    MessageLog,
    OutboxDelivery,
)

KAMCHATKA = "kamchatka"
KALUGA = "kaluga"
#: The seeded cases' numbers. The social centre's system writes them in Latin letters, and
#: people quote them: the plain-Russian checks (tests/plain_russian.py) allow them.
CASE_REFS = frozenset({"KAM-1", "KAM-2", "KAM-3", "KAM-4", "KAM-5", "KLG-1"})

#: The curator of KAM-1 and KAM-2, as the messages name her.
CURATOR_NAME = "Семёнова Алёна Игоревна"
#: The same person as her account spells it: ё as е, a double space.
CURATOR_ACCOUNT_NAME = "Семенова  Алена Игоревна"
OTHER_CURATOR_NAME = "Ковалёв Дмитрий Андреевич"
#: The staff ids the centre's messages give them (``Curator/StaffId``): what binds accounts.
CURATOR_STAFF_ID = "ТН-0007"
OTHER_CURATOR_STAFF_ID = "ТН-0011"
#: The Kaluga namesake of Семёнова: the same name, another person.
KALUGA_CURATOR_STAFF_ID = "КЛ-0003"

FAMILY_1 = "Вершинина Ольга Сергеевна"
FAMILY_2 = "Смирнова Анна Викторовна"
FAMILY_3 = "Орлова Ирина Павловна"
FAMILY_4 = "Белова Татьяна Юрьевна"
FAMILY_5 = "Гончарова Елена Олеговна"
FAMILY_KALUGA = "Кузнецова Мария Андреевна"

#: Free text of the [social] class and a specialist's name ([identity]) on KAM-1.
SOCIAL_NOTE = "Семья живёт в общежитии, отец без работы"
SOCIAL_COMMENT = "Ребёнок посещает кружок"
PLAN_GOALS = "Вернуть ребёнка в школу"
REPORT_SUMMARY = "Посещаемость наладилась"
SPECIALIST = "Петров Пётр Петрович"
SPECIALIST_POSITION = "врач-педиатр участковый"
SPECIALIST_PHONE = "+7 4152 30-40-50"
#: The plan's number, as the social centre's system numbers plans.
PLAN_NUMBER = "ИПСС-2026-0001"
#: The measure of each action line, by action id.
MEASURES = {
    "A1": "Консультация педиатра",
    "A2": "Контроль посещения школы",
    "A3": "Содействие матери в трудоустройстве",
    "A4": "Обследование у нарколога",
}
#: The organisation the plan names as each agency's executor.
ORGANISATIONS = {
    "health": "ГБУЗ «Камчатская краевая детская больница»",
    "education": "МАОУ «Средняя школа № 3»",
    "employment": "КГКУ «Центр занятости населения»",
}


@dataclass(frozen=True)
class SeededCases:
    now: datetime
    #: The overdue action line on KAM-1 (health's).
    overdue_action_id: str = "A1"


class _Seeder:
    def __init__(self, session: Session, now: datetime) -> None:
        self.session = session
        self.now = now

    def days(self, n: float) -> datetime:
        return self.now + timedelta(days=n)

    def message(
        self,
        message_type: str,
        sender: str,
        recipients: dict[str, DeliveryStatus],
        *,
        at: datetime,
        case_ref: str | None,
    ) -> MessageLog:
        digest = hashlib.sha256(uuid.uuid4().bytes).hexdigest()
        message = MessageLog(
            message_id=str(uuid.uuid4()),
            sender=sender,
            message_type=message_type,
            schema_version="1.0",
            priority="routine",
            case_ref=case_ref,
            created_at=at,
            received_at=at,
            raw=b"<Envelope/>",
            sha256=digest,
            prev_hash=digest,
            chain_hash=digest,
            signer_fingerprint=digest,
        )
        self.session.add(message)
        self.session.flush()
        for recipient, status in recipients.items():
            self.session.add(
                OutboxDelivery(
                    message_log_id=message.id,
                    recipient=recipient,
                    mode=DeliveryMode.PUSH,
                    priority="normal",
                    status=status,
                    payload=b"<Envelope/>",
                    created_at=at,
                    delivered_at=at + timedelta(minutes=1)
                    if status is DeliveryStatus.DELIVERED
                    else None,
                )
            )
        self.session.flush()
        return message

    def case(
        self,
        case_ref: str,
        *,
        region: str,
        family_name: str,
        curator_name: str | None,
        state: str,
        opened_days_ago: float,
        category: str | None = None,
        **fields: object,
    ) -> CaseFile:
        opened_at = self.days(-opened_days_ago)
        case = CaseFile(
            case_ref=case_ref,
            region=region,
            state=state,
            category=category,
            risk_level="high" if category == "sop" else "medium",
            urgent=False,
            family_name=family_name,
            children_count=2,
            curator_name=curator_name,
            signal_at=opened_at,
            opened_at=opened_at,
            updated_at=opened_at,
            **fields,
        )
        self.session.add(case)
        self.session.flush()
        return case

    def referral(self, case: CaseFile, sender: str) -> MessageLog:
        at = case.opened_at
        message = self.message(
            "FamilyReferral",
            sender,
            {"social": DeliveryStatus.DELIVERED, "kdn": DeliveryStatus.DELIVERED},
            at=at,
            case_ref=None,
        )
        self.session.add(
            CaseReferral(
                message_log_id=message.id,
                message_id=message.message_id,
                sender=sender,
                case_id=case.id,
                referral_id=f"R-{case.case_ref}",
                detected_at=at,
                received_at=at,
                urgent=False,
                region=case.region or "",
                family_name=case.family_name,
                children_count=2,
                receipt_due_at=at + timedelta(days=1),
                receipt_at=at + timedelta(hours=3),
            )
        )
        return message

    def action(
        self,
        case: CaseFile,
        action_id: str,
        agency: str,
        *,
        due_in_days: float,
        status: str,
        in_plan: bool = True,
        notes: str | None = None,
    ) -> CaseAction:
        due_at = self.days(due_in_days)
        action = CaseAction(
            case_id=case.id,
            plan_id=PLAN_NUMBER,
            plan_version=2,
            action_id=action_id,
            measure=MEASURES[action_id],
            help_type="medical" if agency == "health" else "social",
            responsible_agency=agency,
            executor=agency,
            responsible_organisation=ORGANISATIONS[agency],
            specialist_name=SPECIALIST,
            specialist_position=SPECIALIST_POSITION,
            specialist_phone=SPECIALIST_PHONE,
            deadline=due_at.date(),
            due_at=due_at,
            status=status,
            status_at=self.days(-20),
            in_plan=in_plan,
            notes=notes,
        )
        self.session.add(action)
        self.session.flush()
        return action

    def deadline(
        self,
        case: CaseFile,
        kind: str,
        responsible: str,
        *,
        due_in_days: float,
        subject: str = "",
        met: bool = False,
    ) -> None:
        self.session.add(
            CaseDeadline(
                case_id=case.id,
                kind=kind,
                subject=subject,
                responsible=responsible,
                due_at=self.days(due_in_days),
                met_at=self.days(-1) if met else None,
                outcome=DeadlineOutcome.MET if met else None,
            )
        )


def seed_cases(session: Session, now: datetime) -> SeededCases:
    """Six cases: five in Kamchatka, one in Kaluga; the caller commits.

    - KAM-1 (СОП, implementation), curated by Семёнова: health's A1 is overdue (with
      its own overdue ``action`` deadline), education's report is missing, health
      sent a conflicting update; police sent the referral.
    - KAM-2 (ТЖС, plan), Семёнова: nothing late; a plan deadline in 3 days.
    - KAM-3 (closed, goals achieved), Ковалёв; police's referral.
    - KAM-4 (signal, no curator yet), health's referral.
    - KAM-5 (closed, moved away), Ковалёв.
    - KLG-1 in Kaluga, curated by a namesake of Семёнова; health's A1 overdue.
    """
    s = _Seeder(session, now)
    kam1 = s.case(
        "KAM-1",
        region=KAMCHATKA,
        family_name=FAMILY_1,
        curator_name=CURATOR_NAME,
        curator_staff_id=CURATOR_STAFF_ID,
        state="implementation",
        category="sop",
        opened_days_ago=40,
        decision_body_kind="kdn",
        decision_body_name="КДН и ЗП",
        decision_outcome="recognised",
        consent_status="given",
        decision_at=s.days(-30),
        plan_at=s.days(-25),
    )
    s.referral(kam1, "police")
    plan_v1 = s.message(
        "SupportPlan",
        "social",
        {"health": DeliveryStatus.DELIVERED, "kdn": DeliveryStatus.DELIVERED},
        at=s.days(-25),
        case_ref="KAM-1",
    )
    plan_v2 = s.message(
        "SupportPlan",
        "social",
        {
            "health": DeliveryStatus.DELIVERED,
            "education": DeliveryStatus.DELIVERED,
            "employment": DeliveryStatus.DEAD,
            "kdn": DeliveryStatus.DELIVERED,
        },
        at=s.days(-22),
        case_ref="KAM-1",
    )
    for version, message in ((1, plan_v1), (2, plan_v2)):
        session.add(
            CasePlan(
                case_id=kam1.id,
                message_log_id=message.id,
                plan_id=PLAN_NUMBER,
                version=version,
                approved_at=message.received_at,
                period_from=date(2026, 1, 1),
                period_to=date(2026, 6, 30),
                approved_by="КДН и ЗП",
                curator_name=CURATOR_NAME,
                goals=PLAN_GOALS,
                actions_count=4,
            )
        )
    s.action(kam1, "A1", "health", due_in_days=-2, status="assigned", notes=SOCIAL_NOTE)
    a2 = s.action(kam1, "A2", "education", due_in_days=10, status="in_progress")
    s.action(kam1, "A3", "employment", due_in_days=-5, status="done")
    s.action(kam1, "A4", "health", due_in_days=-8, status="overdue", in_plan=False)
    update = s.message(
        "ActionStatusUpdate",
        "education",
        {"social": DeliveryStatus.DELIVERED},
        at=s.days(-3),
        case_ref="KAM-1",
    )
    session.add(
        CaseActionStatus(
            action_row_id=a2.id,
            message_log_id=update.id,
            reporter="education",
            status="in_progress",
            status_at=s.days(-3),
            organisation="МАОУ «Средняя школа № 3»",
            comment=SOCIAL_COMMENT,
        )
    )
    report = s.message(
        "PeriodicReport",
        "education",
        {"social": DeliveryStatus.PENDING},
        at=s.days(-2),
        case_ref="KAM-1",
    )
    session.add(
        CaseReport(
            case_id=kam1.id,
            message_log_id=report.id,
            report_id="REP-1",
            sender="education",
            plan_id=PLAN_NUMBER,
            period_from=date(2026, 7, 1),
            period_to=date(2026, 9, 30),
            received_at=s.days(-2),
            summary=REPORT_SUMMARY,
        )
    )
    stray = s.message(
        "ActionStatusUpdate",
        "health",
        {"social": DeliveryStatus.DELIVERED},
        at=s.days(-1),
        case_ref="KAM-1",
    )
    session.add(
        CaseConflict(
            case_id=kam1.id,
            message_log_id=stray.id,
            sender="health",
            message_type="ActionStatusUpdate",
            code="case.action_unknown",
            detail="action A9 is not in plan P1 v2",
            detected_at=s.days(-1),
        )
    )
    s.deadline(kam1, "action", "health", due_in_days=-2, subject="A1")
    s.deadline(kam1, "action", "education", due_in_days=10, subject="A2")
    s.deadline(kam1, "report", "education", due_in_days=-1, subject="2026-Q3")
    s.deadline(kam1, "survey", "social", due_in_days=-35, met=True)

    kam2 = s.case(
        "KAM-2",
        region=KAMCHATKA,
        family_name=FAMILY_2,
        curator_name=CURATOR_NAME,
        curator_staff_id=CURATOR_STAFF_ID,
        state="plan",
        category="tjs",
        opened_days_ago=20,
        decision_at=s.days(-16),
    )
    s.deadline(kam2, "plan", "social", due_in_days=3)

    kam3 = s.case(
        "KAM-3",
        region=KAMCHATKA,
        family_name=FAMILY_3,
        curator_name=OTHER_CURATOR_NAME,
        curator_staff_id=OTHER_CURATOR_STAFF_ID,
        state="post_support",
        category="sop",
        opened_days_ago=100,
        decision_at=s.days(-94),
        plan_at=s.days(-91),
        closed_at=s.days(-10),
        closure_reason="goals_achieved",
        post_support_until=(now + timedelta(days=170)).date(),
    )
    s.referral(kam3, "police")

    kam4 = s.case(
        "KAM-4",
        region=KAMCHATKA,
        family_name=FAMILY_4,
        curator_name=None,
        state="signal",
        opened_days_ago=1,
    )
    s.referral(kam4, "health")

    s.case(
        "KAM-5",
        region=KAMCHATKA,
        family_name=FAMILY_5,
        curator_name=OTHER_CURATOR_NAME,
        curator_staff_id=OTHER_CURATOR_STAFF_ID,
        state="closure",
        category="tjs",
        opened_days_ago=60,
        closed_at=s.days(-5),
        closure_reason="moved_away",
    )

    klg1 = s.case(
        "KLG-1",
        region=KALUGA,
        family_name=FAMILY_KALUGA,
        curator_name=CURATOR_NAME,
        curator_staff_id=KALUGA_CURATOR_STAFF_ID,
        state="implementation",
        category="sop",
        opened_days_ago=30,
    )
    s.action(klg1, "A1", "health", due_in_days=-1, status="accepted")
    session.flush()
    return SeededCases(now=now)


#: The family of the urgent signal ``seed_unacknowledged_signal`` adds.
FAMILY_SIGNAL = "Лебедева Светлана Игоревна"


def seed_unacknowledged_signal(session: Session, now: datetime) -> str:
    """An urgent police referral in Kamchatka that the social centre never acknowledged,
    its receipt due an hour ago, with no case opened; its referral id. The caller commits."""
    s = _Seeder(session, now)
    at = now - timedelta(hours=25)
    message = s.message(
        "FamilyReferral", "police", {"social": DeliveryStatus.DELIVERED}, at=at, case_ref=None
    )
    session.add(
        CaseReferral(
            message_log_id=message.id,
            message_id=message.message_id,
            sender="police",
            case_id=None,
            referral_id="R-SIGNAL",
            detected_at=at,
            received_at=at,
            urgent=True,
            region=KAMCHATKA,
            family_name=FAMILY_SIGNAL,
            children_count=1,
            receipt_due_at=now - timedelta(hours=1),
            receipt_at=None,
        )
    )
    session.flush()
    return "R-SIGNAL"
