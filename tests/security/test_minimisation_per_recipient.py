"""Need-to-know on the wire, field by field: each partner's copy of every sample message
holds exactly the elements its visibility in the routing rules allows, with their text
unchanged, and still validates."""

from collections.abc import Iterator
from typing import cast

import pytest
from lxml import etree

from hub.routing import load_rules
from schemas import (
    example_bytes,
    known_schemas,
    minimise,
    parse_xml,
    payload_of,
    read_header,
    sensitivity_map,
    validate_envelope,
    validate_payload,
)

RULES = load_rules()
CASES = [
    (message_type, version, partner)
    for message_type, version in known_schemas()
    for partner in sorted(RULES.visibility)
]


def _fields(payload: etree._Element, message_type: str, version: str) -> dict[str, list[str]]:
    """Every marked element's text (its subtree's), by path and class: what the copy keeps."""
    found: dict[str, list[str]] = {}
    for path, marked in sensitivity_map(message_type, version).items():
        steps = "/".join(f"{{*}}{step}" for step in path.split("/"))
        found[f"{marked}:{path}"] = [_text(e) for e in payload.iterfind(steps)]
    return found


@pytest.mark.parametrize(("message_type", "version", "partner"), CASES)
def test_each_partner_gets_exactly_the_fields_it_may_see(
    message_type: str, version: str, partner: str
) -> None:
    original = parse_xml(example_bytes(message_type, version))
    allowed = RULES.visible_to(partner)

    copy, removed = minimise(original, allowed)

    before = _fields(payload_of(original), message_type, version)
    after = _fields(payload_of(copy), message_type, version)
    for field, texts in before.items():
        marked = field.split(":", 1)[0]
        visible = marked == "identity" or marked in allowed
        # Allowed fields arrive whole; the others are gone, every occurrence.
        assert after[field] == (texts if visible else []), field
    assert set(removed) <= {"health", "conduct", "social"} - allowed
    # Unmarked parts (ids, dates, codes) are never touched.
    assert _unmarked_text(payload_of(copy)) == _unmarked_text(payload_of(original), allowed, before)
    validate_envelope(copy)
    validate_payload(copy, read_header(copy))


def _text(element: etree._Element) -> str:
    """The text of ``element``'s subtree, in order."""
    # lxml yields str on Python 3; its stubs also allow bytes, for Python 2.
    return "".join(cast(Iterator[str], element.itertext()))


def _unmarked_text(
    payload: etree._Element,
    allowed: frozenset[str] | None = None,
    fields: dict[str, list[str]] | None = None,
) -> str:
    """All payload text without whitespace, minus (for the original) what the copy may
    not carry; layout whitespace around removed elements does not count."""
    text = "".join(_text(payload).split())
    if allowed is None or fields is None:
        return text
    for field, texts in fields.items():
        marked = field.split(":", 1)[0]
        if marked != "identity" and marked not in allowed:
            for removed in texts:
                text = text.replace("".join(removed.split()), "", 1)
    return text
