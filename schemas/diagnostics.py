"""Every schema error of a message, for people: the slow path behind ``hub schemas check``.

Unlike the ingest path, which stops at the first error, ``diagnose`` lists them all using
xmlschema (≈ 20× slower than lxml validation). Input still goes through ``parse_xml``:
diagnosing a hostile file must be as safe as receiving it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import xmlschema
from lxml import etree

from schemas.envelope_tree import payload_of, read_header
from schemas.errors import SchemaError
from schemas.namespaces import ENVELOPE_NS, payload_namespace
from schemas.parser import parse_xml
from schemas.registry import envelope_model, known_schemas, model_for

__all__ = ["SchemaIssue", "diagnose"]

_PAYLOAD_PARENT = "/Envelope/Body"
# xmlschema writes steps as "c:Name"; prefixes depend on the document, local names do not.
_PREFIX = re.compile(r"(?<=/)[^/:\[\]]+:")


@dataclass(frozen=True, slots=True)
class SchemaIssue:
    """One problem found in a message."""

    #: Local-name path of the node, e.g. ``/Envelope/Body/FamilyReferral/Family``.
    path: str
    #: Line in the source document, when known.
    line: int | None
    #: What is wrong, without element text values.
    reason: str


def diagnose(
    raw_or_element: bytes | etree._Element,
    message_type: str | None = None,
    version: str | None = None,
) -> list[SchemaIssue]:
    """Return every issue of an envelope or a bare payload; an empty list means valid.

    Parameters:
        raw_or_element: message bytes (parsed with ``parse_xml``) or a parsed element: an
            Envelope, or a bare payload element.
        message_type: payload type; default: the envelope header's, or the payload
            element's local name.
        version: schema version; default: the envelope header's, or for a bare payload the
            newest known version whose namespace matches the element's.

    Parse refusals, an unknown type or version and envelope errors are reported as issues,
    not raised. The payload is checked only once the envelope is valid, because its type
    and version come from the header.
    """
    if isinstance(raw_or_element, bytes):
        try:
            root = parse_xml(raw_or_element)
        except SchemaError as exc:
            return [SchemaIssue("/", getattr(exc, "line", None), f"{exc.reason}: {exc}")]
    else:
        root = raw_or_element
    if etree.QName(root).namespace != ENVELOPE_NS:
        return _payload_issues(root, "", message_type, version)
    issues = _issues(envelope_model(), root, "")
    if issues:
        return issues
    header = read_header(root)
    return _payload_issues(
        payload_of(root),
        _PAYLOAD_PARENT,
        message_type or header.message_type,
        version or header.schema_version,
    )


def _payload_issues(
    payload: etree._Element, parent: str, message_type: str | None, version: str | None
) -> list[SchemaIssue]:
    name = etree.QName(payload)
    message_type = message_type or name.localname
    version = version or _newest_version(message_type, name.namespace)
    try:
        model = model_for(message_type, version)
    except SchemaError as exc:
        line: int | None = payload.sourceline  # type: ignore[assignment]  # lxml-stubs: untyped
        return [SchemaIssue(f"{parent}/{name.localname}", line, f"{exc.reason}: {exc}")]
    return _issues(model, payload, parent)


def _newest_version(message_type: str, namespace: str | None) -> str:
    """Return the newest version of ``message_type`` in ``namespace``, else "unknown"."""
    versions = [
        version
        for known_type, version in known_schemas()
        if known_type == message_type and payload_namespace(known_type, version) == namespace
    ]
    # known_schemas() is sorted by version, so the last match is the newest.
    return versions[-1] if versions else "unknown"


def _issues(
    model: xmlschema.XMLSchema10, element: etree._Element, parent: str
) -> list[SchemaIssue]:
    return [
        SchemaIssue(
            parent + _PREFIX.sub("", error.path or ""),
            getattr(error, "sourceline", None),
            _without_value(error.reason or "invalid", getattr(error.elem, "text", None)),
        )
        for error in model.iter_errors(element)
    ]


def _without_value(reason: str, value: str | None) -> str:
    """xmlschema quotes the offending text in some reasons; it may be personal data."""
    value = (value or "").strip()
    return reason.replace(value, "…") if value else reason
