"""Russian words for the case tracker's codes, as curators and officers say them.

Pages, exports and charts show these instead of the catalogue's codes; a code
without a label (a newer one) is shown as it is rather than hidden.
"""

from collections.abc import Mapping
from datetime import date
from typing import Final

from hub.errors import CODES

STATE_LABELS: Final[Mapping[str, str]] = {
    "signal": "сигнал",
    "survey": "обследование",
    "consent": "согласие",
    "decision": "решение",
    "plan": "план",
    "implementation": "исполнение плана",
    "closure": "снято с учёта",
    "post_support": "постсопровождение",
}

CATEGORY_LABELS: Final[Mapping[str, str]] = {"sop": "СОП", "tjs": "ТЖС"}

RISK_LABELS: Final[Mapping[str, str]] = {
    "low": "низкий",
    "medium": "средний",
    "high": "высокий",
    "critical": "критический",
}

HELP_TYPE_LABELS: Final[Mapping[str, str]] = {
    "social": "социальная",
    "psychological": "психологическая",
    "pedagogical": "педагогическая",
    "medical": "медицинская",
    "legal": "правовая",
    "employment": "содействие занятости",
    "other": "иная",
}

ACTION_STATUS_LABELS: Final[Mapping[str, str]] = {
    "assigned": "назначено",
    "accepted": "принято к исполнению",
    "in_progress": "выполняется",
    "done": "выполнено",
    "cannot_execute": "невозможно выполнить",
    "overdue": "просрочено",
}

CLOSURE_REASON_LABELS: Final[Mapping[str, str]] = {
    "goals_achieved": "цели достигнуты",
    "moved_away": "переезд",
    "came_of_age": "совершеннолетие",
    "early_termination": "досрочное прекращение",
    "refusal": "отказ семьи",
}

DECISION_BODY_KIND_LABELS: Final[Mapping[str, str]] = {
    "kdn": "КДН и ЗП",
    "council": "консилиум",
    "working_group": "рабочая группа",
    "interagency_commission": "межведомственная комиссия",
}

DECISION_OUTCOME_LABELS: Final[Mapping[str, str]] = {
    "recognised": "признана нуждающейся в сопровождении",
    "not_recognised": "не признана нуждающейся",
    "deferred": "решение отложено",
}

CONSENT_LABELS: Final[Mapping[str, str]] = {
    "given": "согласие дано",
    "refused": "отказ",
    "withdrawn": "согласие отозвано",
}

DEADLINE_KIND_LABELS: Final[Mapping[str, str]] = {
    "survey": "обследование",
    "decision": "решение",
    "plan": "план сопровождения",
    "acceptance": "принятие мероприятия",
    "action": "исполнение мероприятия",
    "information_response": "ответ на запрос сведений",
    "report": "периодический отчёт",
}

CONFLICT_LABELS: Final[Mapping[str, str]] = {
    "case.referral_unknown": "подтверждение на неизвестное обращение",
    "case.consent_missing": "решение без согласия семьи",
    "case.plan_version_stale": "устаревшая версия плана",
    "case.action_unknown": "мероприятия нет в плане",
    "case.action_not_executor": "статус мероприятия другой организации",
    "case.closed": "сообщение по делу, снятому с учёта",
}

#: What a conflict means for the curator, in a sentence: the page shows this, never the
#: conflict's code or its ``detail`` (machine text, kept for the sender's receipt).
CONFLICT_EXPLANATIONS: Final[Mapping[str, str]] = {
    "case.referral_unknown": "Пришло подтверждение получения обращения, которого в узле нет: "
    "оно не учтено. Уточните у отправителя, о каком обращении речь.",
    "case.consent_missing": "Пришло решение по семье, а согласия семьи, которого требуют "
    "правила региона, в деле нет: решение не учтено, пока согласие не поступит.",
    "case.plan_version_stale": "Пришла версия плана не новее действующей: она не учтена. "
    "Проверьте, какая версия плана направлена исполнителям.",
    "case.action_unknown": "Ведомство сообщило о мероприятии, которого нет в действующем плане: "
    "сведения не учтены. Уточните у ведомства, о каком мероприятии речь.",
    "case.action_not_executor": "Статус мероприятия прислала не та организация ведомства, "
    "которой оно поручено: статус не учтён.",
    "case.closed": "Сообщение пришло по делу, уже снятому с учёта: оно не учтено.",
    "case.region_mismatch": "Номер дела начинается не с префикса региона, где живёт семья: "
    "регистрация не учтена, обращение ждёт подтверждения под номером своего региона.",
}

MESSAGE_TYPE_LABELS: Final[Mapping[str, str]] = {
    "FamilyReferral": "обращение о семье",
    "ReferralReceipt": "подтверждение получения обращения",
    "SurveyAct": "акт обследования",
    "ConsentRecord": "согласие семьи",
    "CaseDecision": "решение",
    "SupportPlan": "план сопровождения",
    "ActionAssignment": "поручение мероприятия",
    "ActionStatusUpdate": "статус мероприятия",
    "InformationRequest": "запрос сведений",
    "InformationResponse": "ответ на запрос сведений",
    "PeriodicReport": "периодический отчёт",
    "CaseClosure": "снятие с учёта",
    "DeliveryReceipt": "квитанция о доставке",
}

AGENCY_LABELS: Final[Mapping[str, str]] = {
    "hub": "межведомственный узел",
    "police": "полиция (ОМВД)",
    "social": "центр социального обслуживания",
    "kdn": "КДН и ЗП",
    "health": "здравоохранение",
    "education": "образование",
    "employment": "центр занятости",
}

DELIVERY_STATUS_LABELS: Final[Mapping[str, str]] = {
    "pending": "в очереди",
    "in_flight": "доставляется",
    "retrying": "повторная попытка",
    "delivered": "доставлено",
    "dead": "не доставлено",
    "cancelled": "отменено",
}

#: How each role (``hub.cases.scope.Role``) is named on the pages and in ``hub people list``.
ROLE_LABELS: Final[Mapping[str, str]] = {
    "curator": "куратор",
    "officer": "специалист ведомства",
    "supervisor": "руководитель",
    "administrator": "администратор",
    "observer": "наблюдатель (только просмотр)",
    "operator": "оператор доставки",
    "auditor": "аудитор",
}


def label(labels: Mapping[str, str], code: str | None) -> str:
    """The Russian word for ``code``; the code itself if it has none; "" for None."""
    if code is None:
        return ""
    return labels.get(code, code)


def conflict_explanation(code: str) -> str:
    """What the conflict ``code`` means, in Russian; a code added to the catalogue later
    gets its catalogue title, and one outside the catalogue a general sentence."""
    if code in CONFLICT_EXPLANATIONS:
        return CONFLICT_EXPLANATIONS[code]
    kind = CODES.get(code)
    return kind.title_ru if kind is not None else "Сообщение противоречит делу: оно не учтено."


def deadline_subject(kind: str, subject: str, measures: Mapping[str, str]) -> str:
    """What a deadline of ``kind`` is about, in words; "" where the kind says it all.

    ``subject`` is the deadline's machine key (``hub.cases.deadlines``): an action id for
    ``action`` and ``acceptance`` (named by its measure from ``measures``, action id →
    measure), ``<partner>:<period end>`` for ``report``; other keys are ids, never shown.
    """
    if kind in ("action", "acceptance"):
        return measures.get(subject, "")
    if kind == "report":
        _, _, period_end = subject.partition(":")
        try:
            return "за период по " + date.fromisoformat(period_end).strftime("%d.%m.%Y")
        except ValueError:
            return ""
    return ""
