"""XML namespaces of the canonical messages.

One namespace for the envelope, one per message type and MAJOR version for payloads: minor
versions (1.0, 1.1, …) share their major's namespace because a minor version only adds
optional elements, so a 1.0 reader still understands a 1.1 payload's namespace.
"""

from __future__ import annotations

import re

__all__ = [
    "ANNOTATIONS_NS",
    "COMMON_NS",
    "DSIG_NS",
    "ENVELOPE_NS",
    "payload_namespace",
]

ENVELOPE_NS = "urn:family-hub:envelope:1"
DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
#: Namespace of the shared types' child elements (names, addresses, children, …).
COMMON_NS = "urn:family-hub:common:1"
#: Namespace of the hub's own xs:appinfo markers, e.g. hub:sensitivity.
ANNOTATIONS_NS = "urn:family-hub:schema-annotations"

_VERSION = re.compile(r"(?P<major>[0-9]{1,3})\.[0-9]{1,3}")


def payload_namespace(message_type: str, version: str) -> str:
    """Return the payload namespace, e.g. ``urn:family-hub:msg:FamilyReferral:1`` for 1.0.

    Raises:
        ValueError: ``version`` is not ``<major>.<minor>``.
    """
    match = _VERSION.fullmatch(version)
    if match is None:
        raise ValueError(f"schema version must be <major>.<minor>, got {version!r}")
    return f"urn:family-hub:msg:{message_type}:{int(match['major'])}"
