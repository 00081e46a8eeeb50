"""One row of a school's CSV file, read cell by cell, naming the row and column of any bad cell.

School systems export what a social pedagogue typed into a spreadsheet: blank cells, dates as
``ДД.ММ.ГГГГ``, statuses in Russian with varying case, ``ё`` or ``е``. ``RowReader`` wraps one
row and turns each problem into a ``RowError`` that carries the row number as the school sees
it in a spreadsheet (the header is row 1) and the column's header, so the error report next
to a rejected file points at the cell to fix.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, TypeVar

from schemas import TranslationError

__all__ = [
    "COMMENT",
    "IDENTIFIER",
    "LONG_TEXT",
    "NAME",
    "SHORT_TEXT",
    "Row",
    "RowError",
    "RowReader",
    "format_date",
    "format_moment",
    "normalise",
]

_T = TypeVar("_T")

#: Length limits of the canonical text types (common-1.0.xsd), in characters.
IDENTIFIER: Final = 64
NAME: Final = 100
SHORT_TEXT: Final = 500
COMMENT: Final = 2000
LONG_TEXT: Final = 4000

_PHONE: Final = re.compile(r"\+?[0-9][0-9 ()\-]{4,24}")
_DATE_FORMAT: Final = "%d.%m.%Y"
_MOMENT_FORMATS: Final = ("%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S")


class RowError(TranslationError):
    """A cell (or a whole row, ``column == ""``) of a CSV file cannot be translated.

    Attributes:
        row: the row number as a spreadsheet shows it: the header is row 1.
        column: the column's header, or ``""`` when the row as a whole is at fault.
    """

    def __init__(self, row: int, column: str, reason: str) -> None:
        super().__init__(f"row {row}, column {column}" if column else f"row {row}", reason)
        self.row = row
        self.column = column


@dataclass(frozen=True)
class Row:
    """One data row: its spreadsheet row number and its cells by column header."""

    number: int
    values: Mapping[str, str]


def normalise(label: str) -> str:
    """A header or code as typed, for comparison: blanks trimmed, case folded, ``ё`` as ``е``."""
    return " ".join(label.split()).casefold().replace("ё", "е")


def format_date(value: dt.date) -> str:
    """A date as schools write it: ``ДД.ММ.ГГГГ``."""
    return value.strftime(_DATE_FORMAT)


def format_moment(value: dt.datetime, zone: dt.tzinfo) -> str:
    """A timestamp as local time in ``zone``: ``ДД.ММ.ГГГГ ЧЧ:ММ``, seconds only when set."""
    local = value.astimezone(zone)
    return local.strftime(_MOMENT_FORMATS[1] if local.second else _MOMENT_FORMATS[0])


class RowReader:
    """One row; every getter raises ``RowError`` naming the row and the column.

    Parameters:
        row: the row to read.
        zone: the school's time zone, in which local times in the file are read.
    """

    def __init__(self, row: Row, zone: dt.tzinfo) -> None:
        self.row = row
        self._zone = zone

    def error(self, column: str, reason: str) -> RowError:
        """The error of ``column`` in this row, to raise."""
        return RowError(self.row.number, column, reason)

    def has(self, column: str) -> bool:
        """Whether the cell is present and not blank."""
        return bool(self.row.values.get(column, "").strip())

    def text(self, column: str, limit: int = SHORT_TEXT) -> str:
        """A required cell, stripped of surrounding blanks, at most ``limit`` characters."""
        if column not in self.row.values:
            raise self.error(column, "missing column")
        value = self.row.values[column].strip()
        if not value:
            raise self.error(column, "empty")
        if len(value) > limit:
            raise self.error(column, f"longer than {limit} characters")
        return value

    def optional_text(self, column: str, limit: int = SHORT_TEXT) -> str | None:
        """A cell that may be blank or absent."""
        return self.text(column, limit) if self.has(column) else None

    def number(self, column: str) -> int:
        """A required positive whole number."""
        value = self.text(column, IDENTIFIER)
        if not value.isdigit() or int(value) < 1:
            raise self.error(column, "not a positive whole number")
        return int(value)

    def phone(self, column: str) -> str | None:
        """An optional phone number (digits, blanks, brackets and dashes, an optional ``+``)."""
        value = self.optional_text(column, NAME)
        if value is not None and not _PHONE.fullmatch(value):
            raise self.error(column, "not a phone number")
        return value

    def date(self, column: str) -> dt.date:
        """A required date, ``ДД.ММ.ГГГГ`` (or ISO ``ГГГГ-ММ-ДД``)."""
        value = self.text(column, IDENTIFIER)
        try:
            return dt.datetime.strptime(value, _DATE_FORMAT).date()
        except ValueError:
            pass
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise self.error(column, "not a date (ДД.ММ.ГГГГ)") from None

    def optional_date(self, column: str) -> dt.date | None:
        """A date that may be blank."""
        return self.date(column) if self.has(column) else None

    def moment(self, column: str) -> dt.datetime:
        """A required local date and time, ``ДД.ММ.ГГГГ ЧЧ:ММ[:СС]``, in the school's zone.

        ISO 8601 with a UTC offset is accepted too; an ISO time without one is read in the
        school's zone like the Russian format.
        """
        value = self.text(column, IDENTIFIER)
        for pattern in _MOMENT_FORMATS:
            try:
                return dt.datetime.strptime(value, pattern).replace(tzinfo=self._zone)
            except ValueError:
                continue
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            raise self.error(column, "not a date and time (ДД.ММ.ГГГГ ЧЧ:ММ)") from None
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=self._zone)

    def code(self, column: str, table: Mapping[str, _T]) -> _T:
        """A required code from ``table``, compared as ``normalise`` does."""
        value = self.text(column, IDENTIFIER)
        by_label = {normalise(label): code for label, code in table.items()}
        found = by_label.get(normalise(value))
        if found is None:
            raise self.error(column, f"unknown code; expected one of: {', '.join(table)}")
        return found

    def optional_code(self, column: str, table: Mapping[str, _T]) -> _T | None:
        """A code that may be blank."""
        return self.code(column, table) if self.has(column) else None
