"""Reading a partner's native JSON record field by field, naming the path of any bad field.

Partner systems send what their users typed: missing fields, blank strings, dates without an
offset, codes from last year's directory. ``Fields`` wraps one JSON object and turns each of
these into a ``TranslationError`` whose ``field`` is the full path
(``"children[1].birth_date"``), so an officer can fix the record without a stack trace.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Final, TypeVar

from schemas import EnvelopeHeader, TranslationError
from schemas import canonical as c

__all__ = ["Fields", "compact"]

_T = TypeVar("_T")


class Fields:
    """One native JSON object; every getter raises ``TranslationError`` naming the field.

    Raises:
        TranslationError: ``data`` is not a JSON object.
    """

    def __init__(self, data: object, path: str = "") -> None:
        if not isinstance(data, Mapping):
            raise TranslationError(path or "record", "not an object")
        self._data = data
        self._path = path

    def path(self, key: str) -> str:
        """The full path of ``key`` inside this object."""
        return f"{self._path}.{key}" if self._path else key

    def _get(self, key: str) -> object:
        value = self._data.get(key)
        if value is None:
            raise TranslationError(self.path(key), "missing")
        return value

    def has(self, key: str) -> bool:
        """Whether ``key`` is present with a non-null value."""
        return self._data.get(key) is not None

    def text(self, key: str) -> str:
        """A required non-blank string, stripped of surrounding blanks."""
        value = self._get(key)
        if not isinstance(value, str):
            raise TranslationError(self.path(key), "not a string")
        if not value.strip():
            raise TranslationError(self.path(key), "blank")
        return value.strip()

    def optional_text(self, key: str) -> str | None:
        """A string that may be absent or null (but not blank when present)."""
        return self.text(key) if self.has(key) else None

    def flag(self, key: str) -> bool:
        """A required boolean."""
        value = self._get(key)
        if not isinstance(value, bool):
            raise TranslationError(self.path(key), "not a boolean")
        return value

    def date(self, key: str) -> dt.date:
        """A required ISO 8601 calendar date (``YYYY-MM-DD``)."""
        try:
            return dt.date.fromisoformat(self.text(key))
        except ValueError as exc:
            raise TranslationError(self.path(key), "not a date (YYYY-MM-DD)") from exc

    def optional_date(self, key: str) -> dt.date | None:
        """A date that may be absent or null."""
        return self.date(key) if self.has(key) else None

    def timestamp(self, key: str) -> dt.datetime:
        """A required ISO 8601 date and time with a UTC offset.

        A time without an offset is refused: regions span UTC+2 … UTC+12, so a bare local
        time is ambiguous by up to ten hours.
        """
        try:
            value = dt.datetime.fromisoformat(self.text(key))
        except ValueError as exc:
            raise TranslationError(self.path(key), "not an ISO 8601 date and time") from exc
        if value.tzinfo is None:
            raise TranslationError(self.path(key), "no UTC offset")
        return value

    def code(self, key: str, table: Mapping[str, _T]) -> _T:
        """A required code from the partner's directory, mapped through ``table``."""
        value = self.text(key)
        if value not in table:
            raise TranslationError(self.path(key), f"unknown code {value!r}")
        return table[value]

    def optional_code(self, key: str, table: Mapping[str, _T]) -> _T | None:
        """A directory code that may be absent or null."""
        return self.code(key, table) if self.has(key) else None

    def obj(self, key: str) -> Fields:
        """A required nested object."""
        return Fields(self._get(key), self.path(key))

    def optional_obj(self, key: str) -> Fields | None:
        """A nested object that may be absent or null."""
        return self.obj(key) if self.has(key) else None

    def _list(self, key: str, *, required: bool) -> list[object]:
        if not required and not self.has(key):
            return []
        value = self._get(key)
        if not isinstance(value, list):
            raise TranslationError(self.path(key), "not a list")
        if required and not value:
            raise TranslationError(self.path(key), "empty")
        return value

    def objects(self, key: str, *, required: bool = True) -> list[Fields]:
        """A list of nested objects; a required list must not be empty."""
        values = self._list(key, required=required)
        return [Fields(item, f"{self.path(key)}[{i}]") for i, item in enumerate(values)]

    def codes(self, key: str, table: Mapping[str, _T]) -> list[_T]:
        """A required, non-empty list of directory codes without repeats."""
        values = self._list(key, required=True)
        seen: list[_T] = []
        for i, value in enumerate(values):
            path = f"{self.path(key)}[{i}]"
            if not isinstance(value, str) or value not in table:
                raise TranslationError(path, f"unknown code {value!r}")
            if table[value] in seen:
                raise TranslationError(path, "repeated code")
            seen.append(table[value])
        return seen


def compact(record: Mapping[str, object]) -> dict[str, object]:
    """Drop the keys whose value is ``None``: partners omit optional fields, never null them."""
    return {key: value for key, value in record.items() if value is not None}


def envelope_facts(header: EnvelopeHeader) -> dict[str, object]:
    """The envelope's routing facts as partners' records carry them (under ``hub``)."""
    return compact(
        {
            "message_id": header.message_id,
            "message_type": header.message_type,
            "sender": header.sender,
            "sender_organisation": header.sender_organisation,
            "created_at": header.created_at.isoformat(),
            "priority": header.priority,
            "case_ref": header.case_ref,
            "correlation_id": header.correlation_id,
        }
    )


#: How Russian agency registers word the subject of an information request.
REQUEST_SUBJECTS: Final = {"family": "семья", "child": "ребёнок", "adult": "взрослый член семьи"}


def request_record(request: c.InformationRequest) -> dict[str, object]:
    """An information request as the police and employment registers record it."""
    person = request.person
    return compact(
        {
            "request_number": request.request_id,
            "requested_at": request.requested_at.isoformat(),
            "subject": REQUEST_SUBJECTS.get(request.subject, request.subject),
            "person": None
            if person is None
            else compact(
                {
                    "surname": person.name.last,
                    "name": person.name.first,
                    "patronymic": person.name.middle,
                    "birth_date": None
                    if person.birth_date is None
                    else person.birth_date.isoformat(),
                }
            ),
            "questions": request.questions,
            "purpose": request.purpose,
            "due_by": request.due_by.isoformat(),
        }
    )
