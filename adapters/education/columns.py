"""The columns and Russian codes of the school exchange files, and the file kinds they form.

A file's kind is the prefix of its name (``absences_2026-03-15.csv`` is an absence report).
Schools drop four kinds into their ``inbox/``; the hub writes those four (when a message of
their type is addressed to the school) and four outbound-only kinds into ``outbox/``. The
headers are what a social pedagogue sees in a spreadsheet; ``rows.normalise`` makes their
case, blanks and ``ё`` irrelevant when reading.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = [
    "ABSENCES",
    "ACTIONS",
    "ANSWERS",
    "CLOSURE",
    "CLOSURE_REASONS",
    "DECISION_BODIES",
    "DECISION_OUTCOMES",
    "DELIVERY_OUTCOMES",
    "ERRORS_SUFFIX",
    "HELP_TYPES",
    "INBOUND_KINDS",
    "KINDS",
    "KINSHIP",
    "NOTICE",
    "RECEIPT_OUTCOMES",
    "REPORT",
    "REPORT_COLUMNS",
    "REQUEST",
    "SEX",
    "STATUSES",
    "STATUSES_RU",
    "CATEGORIES",
    "SUBJECTS",
    "YES_NO",
    "FileKind",
    "Person",
    "kind_of",
]


@dataclass(frozen=True)
class Person:
    """The columns of one person block: a specialist, the curator, a parent."""

    last: str
    first: str
    middle: str
    position: str = ""
    phone: str = ""

    @classmethod
    def of(cls, whom: str, *, position: bool = True, phone: bool = True) -> Person:
        """``Фамилия <whom>``, ``Имя <whom>``, … (``whom`` in the genitive)."""
        return cls(
            last=f"Фамилия {whom}",
            first=f"Имя {whom}",
            middle=f"Отчество {whom}",
            position=f"Должность {whom}" if position else "",
            phone=f"Телефон {whom}" if phone else "",
        )

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(
            c for c in (self.last, self.first, self.middle, self.position, self.phone) if c
        )


@dataclass(frozen=True)
class FileKind:
    """One kind of exchange file.

    Attributes:
        prefix: how its file names start, before ``_`` (or the whole name before ``.csv``).
        title: what schools call it.
        columns: the header, in the order the hub writes it.
        key: rows with the same value in this column form one message; ``None``: one row,
            one message.
    """

    prefix: str
    title: str
    columns: tuple[str, ...]
    key: str | None = None


# Column names shared by several kinds.
#: The error report of ``rejected/<name>`` is ``rejected/<name>.errors.csv``: one line per
#: bad cell, with these columns (the school's system reads it back).
ERRORS_SUFFIX: Final = ".errors.csv"
REPORT_COLUMNS: Final = ("Строка", "Столбец", "Ошибка")

MESSAGE_ID: Final = "Идентификатор сообщения"
CASE_REF: Final = "Номер дела"
ORGANISATION: Final = "Организация"
SENDER_ORGANISATION: Final = "Отправитель"
PLAN_ID: Final = "Номер плана"
ACTION_ID: Final = "Номер мероприятия"
STATUS: Final = "Статус"
COMMENT: Final = "Комментарий"
SPECIALIST: Final = Person.of("специалиста")
CURATOR: Final = Person.of("куратора")
PARENT: Final = Person.of("родителя", position=False)
CHILD: Final = Person(last="Фамилия", first="Имя", middle="Отчество")
BIRTH_DATE: Final = "Дата рождения"

# Absence report (сведения о систематических пропусках): one pupil per row, one referral each.
REFERRAL_ID: Final = "Номер сообщения"
DETECTED_AT: Final = "Дата и время выявления"
SEX_COLUMN: Final = "Пол"
CLASS: Final = "Класс"
REGION, DISTRICT, LOCALITY = "Регион", "Район", "Населённый пункт"
STREET, HOUSE, FLAT = "Улица", "Дом", "Квартира"
PARENT_BIRTH_DATE: Final = "Дата рождения родителя"
KINSHIP_COLUMN: Final = "Кем приходится"
LESSONS_MISSED: Final = "Пропущено уроков"
ABSENT_FROM, ABSENT_TO = "Пропуски с", "Пропуски по"
URGENT: Final = "Срочно"
NOTE: Final = "Примечание"

ABSENCES: Final = FileKind(
    prefix="absences",
    title="Сведения об обучающихся, систематически пропускающих учебные занятия",
    columns=(
        REFERRAL_ID,
        DETECTED_AT,
        ORGANISATION,
        *SPECIALIST.columns,
        *CHILD.columns,
        BIRTH_DATE,
        SEX_COLUMN,
        CLASS,
        REGION,
        DISTRICT,
        LOCALITY,
        STREET,
        HOUSE,
        FLAT,
        PARENT.last,
        PARENT.first,
        PARENT.middle,
        PARENT_BIRTH_DATE,
        KINSHIP_COLUMN,
        PARENT.phone,
        LESSONS_MISSED,
        ABSENT_FROM,
        ABSENT_TO,
        URGENT,
        NOTE,
    ),
)

# Action status report (отчёт об исполнении мероприятий): one status per row.
ASSIGNMENT_ID: Final = "Идентификатор поручения"
STATUS_AT: Final = "Дата и время статуса"
PERIOD_FROM, PERIOD_TO = "Период с", "Период по"
EVIDENCE: Final = "Подтверждающий документ"

STATUSES: Final = FileKind(
    prefix="statuses",
    title="Отчёт об исполнении мероприятий",
    columns=(
        CASE_REF,
        ASSIGNMENT_ID,
        PLAN_ID,
        ACTION_ID,
        STATUS,
        STATUS_AT,
        ORGANISATION,
        *SPECIALIST.columns,
        PERIOD_FROM,
        PERIOD_TO,
        COMMENT,
        EVIDENCE,
    ),
)

# Periodic report (периодический отчёт): one row per action, grouped by the report number.
REPORT_ID: Final = "Номер отчёта"
ACTION_SUMMARY: Final = "Итоги по мероприятию"
SUMMARY: Final = "Общие итоги"
NEXT_STEPS: Final = "Дальнейшие шаги"
REPORT_ACTION_COLUMNS: Final = (ACTION_ID, STATUS, ACTION_SUMMARY)

REPORT: Final = FileKind(
    prefix="report",
    title="Периодический отчёт о работе с семьёй",
    columns=(
        REPORT_ID,
        CASE_REF,
        PLAN_ID,
        PERIOD_FROM,
        PERIOD_TO,
        ORGANISATION,
        *REPORT_ACTION_COLUMNS,
        SUMMARY,
        NEXT_STEPS,
    ),
    key=REPORT_ID,
)

# Answers to information requests (ответы на запросы): one answer per row.
REQUEST_MESSAGE_ID: Final = "Идентификатор запроса"
REQUEST_ID: Final = "Номер запроса"
RESPONDED_AT: Final = "Дата и время ответа"
ANSWER: Final = "Ответ"
HEALTH: Final = "Сведения о здоровье"
CONDUCT: Final = "Сведения о поведении"
ATTACHMENTS: Final = "Приложения"

ANSWERS: Final = FileKind(
    prefix="answers",
    title="Ответы на запросы информации",
    columns=(
        CASE_REF,
        REQUEST_MESSAGE_ID,
        REQUEST_ID,
        RESPONDED_AT,
        ORGANISATION,
        ANSWER,
        HEALTH,
        CONDUCT,
        ATTACHMENTS,
    ),
)

# Assigned actions (мероприятия, порученные школе): from a SupportPlan or an ActionAssignment.
DOCUMENT: Final = "Документ"
PLAN_VERSION: Final = "Версия плана"
PLAN_FROM, PLAN_TO = "Срок плана с", "Срок плана по"
APPROVED_AT: Final = "Дата утверждения"
APPROVED_BY: Final = "Кем утверждён"
GOALS: Final = "Цели плана"
MEASURE: Final = "Мероприятие"
HELP_TYPE: Final = "Вид помощи"
DEADLINE: Final = "Срок исполнения"
EXECUTOR: Final = "Исполнитель"
#: ``Документ``: what the hub got, a whole plan (ИПСС) or one assignment (поручение).
DOCUMENTS: Final = {"SupportPlan": "ИПСС", "ActionAssignment": "поручение"}

ACTIONS: Final = FileKind(
    prefix="actions",
    title="Мероприятия плана, порученные образовательной организации",
    columns=(
        MESSAGE_ID,
        DOCUMENT,
        CASE_REF,
        PLAN_ID,
        PLAN_VERSION,
        PLAN_FROM,
        PLAN_TO,
        APPROVED_AT,
        APPROVED_BY,
        *CURATOR.columns,
        GOALS,
        ACTION_ID,
        MEASURE,
        HELP_TYPE,
        DEADLINE,
        EXECUTOR,
        *SPECIALIST.columns,
        NOTE,
    ),
)

# Information request (запрос информации): one row.
REQUESTED_AT: Final = "Дата и время запроса"
SUBJECT: Final = "О ком запрос"
QUESTIONS: Final = "Вопросы"
PURPOSE: Final = "Цель запроса"
DUE_BY: Final = "Срок ответа"

REQUEST: Final = FileKind(
    prefix="request",
    title="Запрос информации",
    columns=(
        MESSAGE_ID,
        CASE_REF,
        REQUEST_ID,
        REQUESTED_AT,
        SENDER_ORGANISATION,
        SUBJECT,
        *CHILD.columns,
        BIRTH_DATE,
        QUESTIONS,
        PURPOSE,
        DUE_BY,
    ),
)

# Case closure notice (уведомление о снятии семьи с учёта): one row.
CLOSED_AT: Final = "Дата и время снятия с учёта"
CLOSURE_REASON: Final = "Основание"
BODY_KIND: Final = "Вид органа"
BODY_NAME: Final = "Орган"
POST_FROM, POST_TO = "Постсопровождение с", "Постсопровождение по"

CLOSURE: Final = FileKind(
    prefix="closure",
    title="Уведомление о снятии семьи с учёта",
    columns=(
        MESSAGE_ID,
        CASE_REF,
        CLOSED_AT,
        CLOSURE_REASON,
        BODY_KIND,
        BODY_NAME,
        POST_FROM,
        POST_TO,
        COMMENT,
        SENDER_ORGANISATION,
    ),
)

# Notices (уведомления): a referral registered, a decision taken, a delivery receipt.
NOTICE_KIND: Final = "Вид уведомления"
IN_REPLY_TO: Final = "Ответ на сообщение"
NOTICE_AT: Final = "Дата и время"
NUMBER: Final = "Номер"
OUTCOME: Final = "Результат"
CURATOR_NAME: Final = "Куратор"
#: ``Вид уведомления`` per message type.
NOTICE_KINDS: Final = {
    "ReferralReceipt": "регистрация сообщения",
    "CaseDecision": "решение по семье",
    "DeliveryReceipt": "квитанция о доставке",
}

NOTICE: Final = FileKind(
    prefix="notice",
    title="Уведомление",
    columns=(
        MESSAGE_ID,
        CASE_REF,
        NOTICE_KIND,
        IN_REPLY_TO,
        NOTICE_AT,
        SENDER_ORGANISATION,
        NUMBER,
        OUTCOME,
        CURATOR_NAME,
        CURATOR.phone,
        COMMENT,
    ),
)

#: Every kind by prefix.
KINDS: Final = {kind.prefix: kind for kind in (ABSENCES, STATUSES, REPORT, ANSWERS)} | {
    kind.prefix: kind for kind in (ACTIONS, REQUEST, CLOSURE, NOTICE)
}
#: The kinds a school drops into its inbox for the hub.
INBOUND_KINDS: Final = {kind.prefix: kind for kind in (ABSENCES, STATUSES, REPORT, ANSWERS)}


def kind_of(file_name: str) -> FileKind | None:
    """The kind of an exchange file by its name, or ``None`` if it is not an exchange file."""
    if not file_name.lower().endswith(".csv"):
        return None
    return KINDS.get(file_name[: -len(".csv")].split("_", 1)[0].lower())


# Codes: Russian label → canonical code. The first label of a code is the one the hub writes.

SEX: Final = {"М": "male", "Ж": "female"}
KINSHIP: Final = {"мать": "mother", "отец": "father", "опекун": "guardian", "иное": "other"}
YES_NO: Final = {"да": True, "нет": False}
STATUSES_RU: Final = {
    "назначено": "assigned",
    "принято": "accepted",
    "выполняется": "in_progress",
    "выполнено": "done",
    "невозможно выполнить": "cannot_execute",
    "просрочено": "overdue",
}
HELP_TYPES: Final = {
    "социальная": "social",
    "психологическая": "psychological",
    "педагогическая": "pedagogical",
    "медицинская": "medical",
    "правовая": "legal",
    "содействие занятости": "employment",
    "иная": "other",
}
SUBJECTS: Final = {"семья": "family", "ребёнок": "child", "взрослый": "adult"}
CLOSURE_REASONS: Final = {
    "цели достигнуты": "goals_achieved",
    "смена места жительства": "moved_away",
    "достижение совершеннолетия": "came_of_age",
    "досрочное прекращение": "early_termination",
    "отказ семьи": "refusal",
}
DECISION_BODIES: Final = {
    "КДН и ЗП": "kdn",
    "консилиум": "council",
    "рабочая группа": "working_group",
    "межведомственная комиссия": "interagency_commission",
}
RECEIPT_OUTCOMES: Final = {
    "зарегистрировано": "registered",
    "передано по подведомственности": "forwarded",
    "не относится к компетенции": "rejected_not_competent",
}
DECISION_OUTCOMES: Final = {
    "семья признана нуждающейся в поддержке": "recognised",
    "семья не признана нуждающейся в поддержке": "not_recognised",
    "рассмотрение отложено": "deferred",
}
CATEGORIES: Final = {"ТЖС": "tjs", "СОП": "sop"}
#: ``not_delivered`` (DeliveryReceipt 1.1) is the hub's: the message missed its time to deliver.
DELIVERY_OUTCOMES: Final = {
    "доставлено": "delivered",
    "отклонено": "rejected",
    "не доставлено в срок": "not_delivered",
}
