"""Russian words for the case tracker's codes, as curators and officers say them.

Pages, exports and charts show these instead of the catalogue's codes; a code
without a label (a newer one) is shown as it is rather than hidden.
"""

from collections.abc import Mapping
from typing import Final

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
}


def label(labels: Mapping[str, str], code: str | None) -> str:
    """The Russian word for ``code``; the code itself if it has none; "" for None."""
    if code is None:
        return ""
    return labels.get(code, code)
