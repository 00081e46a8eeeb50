"""A case's action lines as a CSV file that opens cleanly in Excel with Russian settings.

Built from a ``CaseDetail``, which ``get_case`` has already cut to what the viewer
may see, so the file never holds more than the page does.
"""

import csv
import io
from datetime import datetime, tzinfo

from hub.cases.labels import ACTION_STATUS_LABELS, AGENCY_LABELS, HELP_TYPE_LABELS, label
from hub.cases.queries import ActionView, CaseDetail

#: Excel recognises UTF-8 only with the byte-order mark.
_BOM = "\ufeff"
#: Russian Excel splits on semicolons: the comma is its decimal separator.
_DELIMITER = ";"
#: A cell starting with one of these is a formula to a spreadsheet (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

ACTIONS_CSV_HEADER = (
    "Мероприятие",
    "Вид помощи",
    "Ведомство",
    "Специалист",
    "Должность специалиста",
    "Телефон специалиста",
    "Срок",
    "Статус",
    "Просрочено",
    "Отметка о сроке",
    "Обновлено",
)


def actions_csv(detail: CaseDetail, *, timezone: tzinfo) -> str:
    """The action lines, one row each, under a Russian header; starts with a BOM.

    ``timezone`` is the case region's: the update time is written in local time. The
    due date and its mark («исполнено с опозданием на 4 дн.») are the page's own.
    Cells that a spreadsheet would run as a formula are prefixed with a quote.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=_DELIMITER, lineterminator="\r\n")
    writer.writerow(ACTIONS_CSV_HEADER)
    for action in detail.actions:
        writer.writerow([_safe(cell) for cell in _row(action, timezone)])
    return _BOM + buffer.getvalue()


def _row(action: ActionView, timezone: tzinfo) -> list[str]:
    return [
        action.measure,
        label(HELP_TYPE_LABELS, action.help_type),
        # Names, never partner codes: the plan's organisation, else the agency's name.
        action.responsible_organisation or label(AGENCY_LABELS, action.responsible_agency),
        action.specialist_name or "",
        action.specialist_position or "",
        action.specialist_phone or "",
        action.due_text,
        label(ACTION_STATUS_LABELS, action.status),
        "да" if action.overdue else "нет",
        action.mark,
        _datetime(action.status_at, timezone),
    ]


def _datetime(value: datetime, timezone: tzinfo) -> str:
    return value.astimezone(timezone).strftime("%d.%m.%Y %H:%M")


def _safe(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell
