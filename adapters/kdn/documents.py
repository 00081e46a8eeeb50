"""The commission's case documents and its decisions ⇄ canonical messages.

The commission follows the cases it has registered: what the hub sends it about a case (a
survey act, the family's consent, a council's decision, the plan, executors' statuses and
reports, an answer, the closure) is filed as one *Document* (``signal.xsd``) by
``RegisterDocument``: its type from the commission's directory, number, date, a one-line
summary, the risk level and curator where there are some, and the rest as name/value
details. Lossy by design. What the commission decides itself (a *resolution*,
постановление) becomes a CaseDecision with the commission as decision body. Records are
dicts with the SOAP element names. Pure functions.

Resolution record (what ``decision_to_canonical`` takes)::

    {"CaseRef", "InReplyTo", "DecisionNumber": "ПОСТ-2026-0042", "MeetingAt", "Commission",
     "Resolution": "признать семью находящейся в социально опасном положении",
     "RiskLevel": "высокий", "Curator": {"LastName", …}, "CuratorOrganisation",
     "ProtocolRef", "Grounds"}
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from lxml import etree

import schemas
from adapters.native import Fields, compact
from schemas import TranslationError
from schemas import canonical as c

__all__ = ["DOCUMENT_TYPES", "RESOLUTIONS", "RISK_LEVELS", "decision_to_canonical", "document"]

#: Canonical message type → the commission's document type (``DocumentType`` of signal.xsd).
DOCUMENT_TYPES: Final = {
    "SurveyAct": "акт обследования",
    "ConsentRecord": "согласие семьи",
    "CaseDecision": "решение о признании",
    "SupportPlan": "план индивидуальной профилактической работы",
    "ActionStatusUpdate": "сведения об исполнении мероприятия",
    "PeriodicReport": "отчёт исполнителя",
    "CaseClosure": "снятие с учёта",
    "InformationResponse": "ответ на запрос",
}
#: Canonical RiskLevel → the commission's wording.
RISK_LEVELS: Final = {
    "low": "низкий",
    "medium": "средний",
    "high": "высокий",
    "critical": "критический",
}
#: The commission's resolution wording → (CaseDecision Outcome, Category).
RESOLUTIONS: Final = {
    "признать семью находящейся в социально опасном положении": ("recognised", "sop"),
    "не признавать семью находящейся в социально опасном положении": ("not_recognised", None),
    "отложить рассмотрение": ("deferred", None),
}
_CONSENT: Final = {"given": "согласие дано", "refused": "отказ", "withdrawn": "согласие отозвано"}
_SCOPES: Final = {
    "support": "сопровождение",
    "data_processing": "обработка персональных данных",
    "data_exchange": "межведомственный обмен",
    "medical": "медицинское вмешательство",
}
_OUTCOMES: Final = {
    "recognised": "семья признана нуждающейся в сопровождении",
    "not_recognised": "семья не признана нуждающейся в сопровождении",
    "deferred": "рассмотрение отложено",
}
_CATEGORIES: Final = {"sop": "СОП", "tjs": "ТЖС"}
_STATUSES: Final = {
    "assigned": "назначено",
    "accepted": "принято к исполнению",
    "in_progress": "исполняется",
    "done": "исполнено",
    "cannot_execute": "исполнение невозможно",
    "overdue": "просрочено",
}
_REASONS: Final = {
    "goals_achieved": "цели сопровождения достигнуты",
    "moved_away": "смена места жительства",
    "came_of_age": "достижение ребёнком совершеннолетия",
    "early_termination": "досрочное прекращение",
    "refusal": "отказ семьи от сопровождения",
}
#: The law the commission decides on.
LAW: Final = "Федеральный закон от 24.06.1999 № 120-ФЗ, ст. 5, 11"


def decision_to_canonical(record: object, *, message_id: str, now: datetime) -> etree._Element:
    """Translate the commission's resolution on a case into an unsigned CaseDecision.

    Raises:
        TranslationError: a field is missing, malformed or carries an unknown code.
    """
    fields = Fields(record)
    outcome, category = fields.code("Resolution", RESOLUTIONS)
    curator = fields.optional_obj("Curator")
    organisation = fields.optional_text("CuratorOrganisation")
    decision = c.CaseDecision(
        decision_id=fields.text("DecisionNumber"),
        decided_at=fields.timestamp("MeetingAt"),
        decision_body=c.DecisionBody(kind="kdn", name=fields.text("Commission")),
        outcome=outcome,
        category=category,
        risk_level=fields.optional_code("RiskLevel", {v: k for k, v in RISK_LEVELS.items()}),
        curator=None
        if curator is None
        else c.Curator(
            name=c.PersonName(
                last=curator.text("LastName"),
                first=curator.text("FirstName"),
                middle=curator.optional_text("MiddleName"),
            ),
            position=curator.optional_text("Position"),
            phone=curator.optional_text("Phone"),
        ),
        curator_organisation=None if organisation is None else c.Organisation(name=organisation),
        protocol_ref=fields.optional_text("ProtocolRef"),
        grounds=fields.optional_text("Grounds"),
    )
    return c.to_envelope(
        decision,
        message_id=message_id,
        sender="kdn",
        organisation=decision.decision_body.name,
        created_at=now,
        priority="routine",
        law=LAW,
        case_ref=fields.optional_text("CaseRef"),
        correlation_id=fields.optional_text("InReplyTo"),
    )


def document(payload: c.Payload, header: schemas.EnvelopeHeader) -> dict[str, object]:
    """The Document that files ``payload`` in the commission's register.

    Raises:
        TranslationError: a type the register does not file (``MessageType``).
    """
    doc_type = DOCUMENT_TYPES.get(header.message_type)
    if doc_type is None:
        raise TranslationError(
            "MessageType", f"the commission's register takes no {header.message_type}"
        )
    number, moment, summary, extra, pairs = _specifics(payload, header)
    details = [{"Name": name, "Value": value} for name, value in pairs if value]
    return compact(
        {
            "HubMessageId": header.message_id,
            "DocumentType": doc_type,
            "CaseRef": header.case_ref,
            "SourceAgency": header.sender,
            "SourceOrganisation": header.sender_organisation,
            "DocumentNumber": number,
            "DocumentDate": moment.isoformat(),
            "SentAt": header.created_at.isoformat(),
            "Urgent": header.priority == "urgent",
            "Summary": summary,
            **extra,
            "Details": {"Item": details} if details else None,
        }
    )


def _official(person: c.Specialist | None) -> dict[str, object] | None:
    if person is None:
        return None
    return compact(
        {
            "LastName": person.name.last,
            "FirstName": person.name.first,
            "MiddleName": person.name.middle,
            "Position": person.position,
            "Phone": person.phone,
        }
    )


def _specifics(
    payload: c.Payload, header: schemas.EnvelopeHeader
) -> tuple[str, datetime, str, dict[str, object], list[tuple[str, str | None]]]:
    """Number, date, summary, the type's own elements and its details as name/value pairs."""
    if isinstance(payload, c.SurveyAct):
        return (
            payload.survey_id,
            payload.surveyed_at,
            "Требуется сопровождение семьи"
            if payload.needs_support
            else "Оснований для сопровождения не выявлено",
            {
                "RiskLevel": RISK_LEVELS.get(payload.risk_level),
                "Curator": _official(payload.specialists[0]),
                "CuratorOrganisation": payload.organisation.name,
            },
            [
                ("Осмотрено детей", str(len(payload.children_seen))),
                ("Жилищно-бытовые условия", payload.housing_conditions),
                ("Выводы", payload.findings),
                ("Рекомендации", payload.recommendations),
            ],
        )
    if isinstance(payload, c.ConsentRecord):
        return (
            payload.consent_id,
            payload.recorded_at,
            _CONSENT.get(payload.status, payload.status),
            {},
            [
                ("Объём согласия", ", ".join(_SCOPES.get(s, s) for s in payload.scopes)),
                ("Документ", payload.document_ref),
                (
                    "Действует до",
                    None if payload.valid_until is None else payload.valid_until.isoformat(),
                ),
            ],
        )
    if isinstance(payload, c.CaseDecision):
        return (
            payload.decision_id,
            payload.decided_at,
            f"{payload.decision_body.name}: {_OUTCOMES.get(payload.outcome, payload.outcome)}",
            {
                "RiskLevel": None
                if payload.risk_level is None
                else RISK_LEVELS.get(payload.risk_level),
                "Curator": _official(payload.curator),
                "CuratorOrganisation": None
                if payload.curator_organisation is None
                else payload.curator_organisation.name,
            },
            [
                (
                    "Категория",
                    None
                    if payload.category is None
                    else _CATEGORIES.get(payload.category, payload.category),
                ),
                ("Протокол", payload.protocol_ref),
                ("Основания", payload.grounds),
            ],
        )
    if isinstance(payload, c.SupportPlan):
        period = payload.period
        end = "" if period.end is None else f" по {period.end.isoformat()}"
        return (
            f"{payload.plan_id} ред. {payload.version}",
            payload.approved_at,
            f"План на период с {period.start.isoformat()}{end}, мероприятий: "
            f"{len(payload.actions)}",
            {"Curator": _official(payload.curator)},
            [
                (
                    f"{a.action_id}: {a.measure}",
                    f"исполнитель {a.responsible_agency}, срок {a.deadline.isoformat()}",
                )
                for a in payload.actions
            ],
        )
    if isinstance(payload, c.ActionStatusUpdate):
        return (
            payload.action_id,
            payload.status_at,
            _STATUSES.get(payload.status, payload.status),
            {},
            [
                ("План", payload.plan_id),
                ("Исполнитель", payload.organisation.name),
                ("Комментарий", payload.comment),
                ("Основание", payload.evidence_ref),
            ],
        )
    if isinstance(payload, c.PeriodicReport):
        return (
            payload.report_id,
            header.created_at,
            payload.summary or f"Отчёт {payload.organisation.name}",
            {},
            [
                (a.action_id, f"{_STATUSES.get(a.status, a.status)}. {a.summary or ''}".strip())
                for a in payload.actions
            ]
            + [("Дальнейшие шаги", payload.next_steps)],
        )
    if isinstance(payload, c.CaseClosure):
        post = payload.post_support
        return (
            f"Снятие с учёта {header.case_ref or header.message_id}",
            payload.closed_at,
            _REASONS.get(payload.reason, payload.reason),
            {},
            [
                ("Решение", None if payload.decision_body is None else payload.decision_body.name),
                (
                    "Постсопровождение",
                    None
                    if post is None
                    else f"с {post.start.isoformat()}"
                    + ("" if post.end is None else f" по {post.end.isoformat()}"),
                ),
                ("Комментарий", payload.comment),
            ],
        )
    if isinstance(payload, c.InformationResponse):
        return (
            payload.request_id,
            payload.responded_at,
            payload.conduct_information or payload.answer or "Ответ на запрос получен",
            {},
            [("Организация", payload.organisation.name)],
        )
    raise TranslationError("MessageType", f"the commission's register takes no {type(payload)}")
