"""Canonical messages of the hub: the safe parser, the XSD registry and the envelope.

Every inbound message goes ``parse_xml`` → ``validate_envelope`` → (signature check,
elsewhere) → ``read_header`` → ``validate_payload``; each outbound copy goes ``minimise``
for its recipient. Import from here, not from submodules.
"""

from schemas.diagnostics import SchemaIssue, diagnose
from schemas.envelope_tree import EnvelopeHeader, build_envelope, payload_of, read_header
from schemas.errors import (
    EnvelopeInvalid,
    PayloadInvalid,
    SchemaError,
    SchemaInvalid,
    TranslationError,
    UnknownMessageType,
    UnsupportedVersion,
    XmlForbidden,
    XmlMalformed,
    XmlRejected,
    XmlTooComplex,
    XmlTooDeep,
    XmlTooLarge,
)
from schemas.example import example_bytes, fresh_example, refresh_ids
from schemas.minimise import minimise
from schemas.namespaces import COMMON_NS, DSIG_NS, ENVELOPE_NS, payload_namespace
from schemas.parser import ParseLimits, parse_xml
from schemas.registry import envelope_schema, known_schemas, schema_for
from schemas.sensitivity import SensitivityClass, sensitivity_map
from schemas.validation import validate_envelope, validate_payload

# Grouped by concept (as dramatiq does), hence not one alphabetical list.
__all__ = [
    # Namespaces
    "COMMON_NS",
    "DSIG_NS",
    "ENVELOPE_NS",
    "payload_namespace",
    # Parsing
    "ParseLimits",
    "parse_xml",
    # Envelope
    "EnvelopeHeader",
    "build_envelope",
    "payload_of",
    "read_header",
    # Examples (the published contract's)
    "example_bytes",
    "fresh_example",
    "refresh_ids",
    # Registry and validation
    "envelope_schema",
    "known_schemas",
    "schema_for",
    "validate_envelope",
    "validate_payload",
    # Diagnostics, sensitivity and minimisation
    "SchemaIssue",
    "SensitivityClass",
    "diagnose",
    "minimise",
    "sensitivity_map",
    # Errors
    "EnvelopeInvalid",
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
