"""XSD validation of the envelope and of its payload, for the ingest hot path.

Validation uses the compiled lxml schemas of the registry. On failure the first XSD error is
raised as ``EnvelopeInvalid`` or ``PayloadInvalid`` with a local-name path, a line number
and libxml2's reason with element text values cut out, so the error can be logged.
"""

from __future__ import annotations

import re

from lxml import etree

from schemas.envelope_tree import EnvelopeHeader, payload_of
from schemas.errors import EnvelopeInvalid, PayloadInvalid, SchemaInvalid
from schemas.namespaces import payload_namespace
from schemas.registry import envelope_schema, schema_for

__all__ = ["validate_envelope", "validate_payload"]

_PAYLOAD_PARENT = "/Envelope/Body"

# libxml2 quotes the offending value in these reasons; the value may be personal data.
# Greedy up to the fixed wording that follows, since a value may itself contain quotes.
_QUOTED_VALUES = (
    (re.compile(r"The value '.*'(?= is | has )", re.DOTALL), "The value"),
    (re.compile(r"(?<=: )'.*'(?= is not a valid value)", re.DOTALL), "The value"),
    (re.compile(r"key-sequence \[.*\](?= in )", re.DOTALL), "key-sequence [...]"),
)
# One step of libxml2's node path: "*", "*[2]", "c:Name", "c:Child[3]", "Name".
_PATH_STEP = re.compile(r"(?:(?P<prefix>[^:\[\]]+):)?(?P<name>[^:\[\]]+)(?:\[(?P<index>\d+)\])?")


def validate_envelope(envelope: etree._Element) -> None:
    """Check the envelope against the envelope XSD; the payload inside Body is skipped.

    Raises:
        EnvelopeInvalid: the first XSD error.
    """
    schema = envelope_schema()
    if not schema.validate(envelope):
        raise _first_error(EnvelopeInvalid, schema, envelope, "")


def validate_payload(envelope: etree._Element, header: EnvelopeHeader) -> None:
    """Check the payload against the XSD of ``header.message_type`` and ``schema_version``.

    The payload element must be named ``header.message_type`` in
    ``payload_namespace(message_type, schema_version)``.

    Raises:
        UnknownMessageType: no schema exists for ``header.message_type``.
        UnsupportedVersion: the type exists, but not in ``header.schema_version``.
        PayloadInvalid: the payload element has another name or namespace, or the first
            XSD error.
    """
    schema = schema_for(header.message_type, header.schema_version)
    payload = payload_of(envelope)
    expected = etree.QName(
        payload_namespace(header.message_type, header.schema_version), header.message_type
    )
    found = etree.QName(payload)
    if found != expected:
        raise PayloadInvalid(
            f"payload element is {found.text}, expected {expected.text}",
            f"{_PAYLOAD_PARENT}/{found.localname}",
            payload.sourceline,  # type: ignore[arg-type]  # lxml-stubs: sourceline untyped
        )
    if not schema.validate(payload):
        raise _first_error(PayloadInvalid, schema, payload, _PAYLOAD_PARENT)


def _first_error(
    kind: type[SchemaInvalid], schema: etree.XMLSchema, root: etree._Element, parent: str
) -> SchemaInvalid:
    """Build ``kind`` from the schema's first error; ``root`` is the element validated."""
    entry = schema.error_log[0]  # type: ignore[index]  # lxml-stubs: _ErrorLog is empty
    return kind(_without_values(entry.message), parent + _local_path(root, entry.path), entry.line)


def _without_values(message: str) -> str:
    for pattern, replacement in _QUOTED_VALUES:
        message = pattern.sub(replacement, message)
    return message


def _local_path(root: etree._Element, node_path: str) -> str:
    """Turn libxml2's node path ("/*/*[3]/c:Name") into local names ("/Referral/DetectedBy/Name").

    The path's first step is ``root`` itself (lxml validates a subtree as its own document).
    Prefixes are matched against each element's own prefix, so no namespace map is needed.
    An attribute step or a path that does not resolve is kept as libxml2 wrote it.
    """
    steps = node_path.strip("/").split("/")
    element = root
    parts = [etree.QName(root).localname]
    for step in steps[1:]:
        match = _PATH_STEP.fullmatch(step)
        if match is None:
            return node_path
        candidates = [
            child
            for child in element.iterchildren(etree.Element)
            if match["name"] == "*"
            or (etree.QName(child).localname == match["name"] and child.prefix == match["prefix"])
        ]
        position = int(match["index"] or 1)
        if position > len(candidates):
            return node_path
        element = candidates[position - 1]
        parts.append(_step_name(element))
    return "/" + "/".join(parts)


def _step_name(element: etree._Element) -> str:
    """Return "Child" or, among same-named siblings, "Child[2]" (XPath's 1-based position)."""
    name = etree.QName(element).localname
    parent = element.getparent()
    same_named = [] if parent is None else parent.findall(element.tag)
    return f"{name}[{same_named.index(element) + 1}]" if len(same_named) > 1 else name
