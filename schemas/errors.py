"""Errors raised by the schemas package, each with a stable machine ``reason``.

The hub maps ``reason`` to its rejection code; the strings never change once released.
Messages carry paths, line numbers, element names and XSD reasons, never element text:
the text of a family's message is personal data and must not reach logs.

::

    SchemaError
    ├── XmlRejected                   parse stage (parse_xml)
    │   ├── XmlTooLarge               too_large
    │   ├── XmlMalformed              malformed
    │   ├── XmlTooDeep                too_deep
    │   ├── XmlTooComplex             too_complex
    │   └── XmlForbidden              forbidden_construct   (.construct)
    ├── SchemaInvalid                 XSD stage (.path, .line, .detail)
    │   ├── EnvelopeInvalid           envelope_invalid
    │   └── PayloadInvalid            payload_invalid
    ├── UnknownMessageType            unknown_type
    └── UnsupportedVersion            unsupported_version

    TranslationError                  a record does not map to or from the canonical model
                                      (``schemas.canonical``, the adapters): .field, .reason
"""

from __future__ import annotations

from typing import ClassVar, Literal

__all__ = [
    "EnvelopeInvalid",
    "ForbiddenConstruct",
    "PayloadInvalid",
    "SchemaError",
    "SchemaInvalid",
    "TranslationError",
    "UnknownMessageType",
    "UnsupportedVersion",
    "XmlForbidden",
    "XmlMalformed",
    "XmlRejected",
    "XmlTooComplex",
    "XmlTooDeep",
    "XmlTooLarge",
]

ForbiddenConstruct = Literal["doctype", "entity", "processing_instruction", "comment", "xinclude"]


class SchemaError(Exception):
    """Base of every error raised by this package."""

    #: Stable machine code of the failure; set on every concrete class.
    reason: ClassVar[str]


class XmlRejected(SchemaError):
    """The raw bytes were refused before any schema was applied."""


class XmlTooLarge(XmlRejected):
    """The message is larger than ``ParseLimits.max_bytes``; it was not parsed."""

    reason = "too_large"

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"message of {size} bytes exceeds the limit of {limit} bytes")
        self.size = size
        self.limit = limit


class XmlMalformed(XmlRejected):
    """Not well-formed XML: truncated, not XML at all, or bytes invalid in the declared encoding."""

    reason = "malformed"

    def __init__(self, detail: str, line: int | None) -> None:
        super().__init__(f"not well-formed XML at line {line}: {detail}")
        #: libxml2's error type name, e.g. ``ERR_TAG_NAME_MISMATCH`` (never document text).
        self.detail = detail
        self.line = line


class XmlTooDeep(XmlRejected):
    """Elements nest deeper than ``ParseLimits.max_depth`` (or libxml2's own limit of 256)."""

    reason = "too_deep"

    def __init__(self, limit: int) -> None:
        super().__init__(f"elements nest deeper than {limit} levels")
        self.limit = limit


class XmlTooComplex(XmlRejected):
    """Too many elements in the document, or too many attributes on one element."""

    reason = "too_complex"

    def __init__(self, what: str, limit: int) -> None:
        super().__init__(f"more than {limit} {what}")
        self.limit = limit


class XmlForbidden(XmlRejected):
    """The document uses a construct the message profile forbids (DTD, entity, PI, …)."""

    reason = "forbidden_construct"

    def __init__(self, construct: ForbiddenConstruct) -> None:
        super().__init__(f"forbidden construct: {construct}")
        self.construct: ForbiddenConstruct = construct


class SchemaInvalid(SchemaError):
    """The tree does not conform to its XSD; the first error is reported."""

    def __init__(self, detail: str, path: str | None, line: int | None) -> None:
        super().__init__(f"{path or '?'} (line {line}): {detail}")
        #: XSD reason with element text values removed.
        self.detail = detail
        #: Local-name path of the offending node, e.g. ``/FamilyReferral/Family/Children``.
        self.path = path
        self.line = line


class EnvelopeInvalid(SchemaInvalid):
    """The envelope does not conform to the envelope XSD."""

    reason = "envelope_invalid"


class PayloadInvalid(SchemaInvalid):
    """The payload is not the declared type and version, or does not conform to its XSD."""

    reason = "payload_invalid"


class UnknownMessageType(SchemaError):
    """No schema exists for this message type."""

    reason = "unknown_type"

    def __init__(self, message_type: str) -> None:
        super().__init__(f"unknown message type {message_type!r}")
        self.message_type = message_type


class UnsupportedVersion(SchemaError):
    """The message type is known, but not in this schema version."""

    reason = "unsupported_version"

    def __init__(self, message_type: str, version: str) -> None:
        super().__init__(f"{message_type} has no schema version {version!r}")
        self.message_type = message_type
        self.version = version


class TranslationError(ValueError):
    """A record cannot be translated: a field is missing, malformed or carries an unknown code.

    Raised by the canonical model (``schemas.canonical``) when a message does not read into
    its typed values, and by the adapters when a native record does not map to them; not a
    ``SchemaError``, since the XML may be valid and still not say what a reader needs.

    Attributes:
        field: the path of the offending field, e.g. ``"children[1].birth_date"``.
        reason: what is wrong with it, without its value when that could be personal data.
    """

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
