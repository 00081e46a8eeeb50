"""Read the few payload values the case tracker needs, namespace-agnostic.

Payloads have passed their XSD before the tracker sees them, so required values
are there and well-formed; these helpers only spare the callers lxml's spelling.
"""

from datetime import UTC, date, datetime

from lxml import etree


def _path(names: str) -> str:
    return "/".join(f"{{*}}{name}" for name in names.split("/"))


def find(element: etree._Element, names: str) -> etree._Element | None:
    """The first element at ``names`` ("Family/Address"), or None."""
    return element.find(_path(names))


def find_all(element: etree._Element, names: str) -> list[etree._Element]:
    return element.findall(_path(names))


def text(element: etree._Element, names: str) -> str | None:
    """The stripped text at ``names``; None when absent or empty."""
    value = element.findtext(_path(names))
    return value.strip() or None if value is not None else None


def required_text(element: etree._Element, names: str) -> str:
    value = text(element, names)
    if value is None:
        raise ValueError(f"{names} missing from a validated payload")
    return value


def timestamp(element: etree._Element, names: str) -> datetime | None:
    """An xs:dateTime with offset, as aware UTC."""
    value = text(element, names)
    return datetime.fromisoformat(value).astimezone(UTC) if value is not None else None


def day(element: etree._Element, names: str) -> date | None:
    value = text(element, names)
    return date.fromisoformat(value) if value is not None else None


def person_name(element: etree._Element | None) -> str | None:
    """ "LastName FirstName MiddleName" of a c:PersonName (or of a c:Specialist's Name)."""
    if element is None:
        return None
    name = find(element, "Name")
    holder = name if name is not None else element
    parts = (text(holder, part) for part in ("LastName", "FirstName", "MiddleName"))
    joined = " ".join(part for part in parts if part)
    return joined or None
