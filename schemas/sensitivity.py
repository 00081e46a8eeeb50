"""Sensitivity classes of personal-data fields, read from the payload XSDs.

An element declaration that carries personal data is marked in its XSD::

    <xs:annotation><xs:appinfo>
      <hub:sensitivity xmlns:hub="urn:family-hub:schema-annotations">identity</hub:sensitivity>
    </xs:appinfo></xs:annotation>

Classes: ``identity`` (names, birth dates, sex, family role, address, phones), ``health``,
``conduct`` (reasons for a referral, circumstances, findings) and ``social`` (living
conditions, school, comments on support). A marked element covers its whole subtree.
Routing uses the map to strip, per recipient, the classes it may not see (``minimise``).
"""

from __future__ import annotations

import functools
from typing import Literal, cast, get_args

import xmlschema
from xmlschema.validators import XsdComplexType, XsdGroup

from schemas.namespaces import ANNOTATIONS_NS
from schemas.registry import model_for

__all__ = ["SensitivityClass", "sensitive_elements", "sensitivity_map"]

SensitivityClass = Literal["identity", "health", "conduct", "social"]

_SENSITIVITY_TAG = f"{{{ANNOTATIONS_NS}}}sensitivity"
_CLASSES: frozenset[str] = frozenset(get_args(SensitivityClass))


def sensitivity_map(message_type: str, version: str) -> dict[str, str]:
    """Return {element path: sensitivity class} for one payload schema.

    Paths are local names below the payload element, e.g. ``Family/Children/Child/BirthDate``.
    The result is a fresh dict: callers may change it.

    Raises:
        UnknownMessageType: no schema exists for ``message_type``.
        UnsupportedVersion: the type exists, but not in ``version``.
        ValueError: the XSD marks an element with a class not in ``SensitivityClass``.
    """
    return {
        "/".join(_local_name(step) for step in steps): marked
        for steps, marked in sensitive_elements(message_type, version)
    }


@functools.cache
def sensitive_elements(
    message_type: str, version: str
) -> tuple[tuple[tuple[str, ...], SensitivityClass], ...]:
    """Return (qualified element names from below the payload root, class), sorted.

    The namespace-aware form of ``sensitivity_map``, e.g.
    ``(("{urn:family-hub:msg:FamilyReferral:1}Family", "{…}Address"), "identity")``;
    computed once per (type, version). Same errors as ``sensitivity_map``.
    """
    root = model_for(message_type, version).elements[message_type]
    pairs: list[tuple[tuple[str, ...], SensitivityClass]] = []
    # Explicit stack, not recursion; the canonical schemas have no recursive types.
    stack: list[tuple[tuple[str, ...], xmlschema.XsdElement]] = [
        ((child.name,), child) for child in _children(root)
    ]
    while stack:
        steps, element = stack.pop()
        marked = _marked_class(element)
        if marked is not None:
            pairs.append((steps, marked))
        stack.extend(((*steps, child.name), child) for child in _children(element))
    return tuple(sorted(pairs))


def _local_name(qualified: str) -> str:
    return qualified.rpartition("}")[2]


def _children(element: xmlschema.XsdElement) -> list[xmlschema.XsdElement]:
    content_type = element.type
    if not isinstance(content_type, XsdComplexType):
        return []
    group = content_type.content
    if not isinstance(group, XsdGroup):
        return []
    # Wildcards (xs:any) name no element, so they carry no sensitivity class.
    return [child for child in group.iter_elements() if isinstance(child, xmlschema.XsdElement)]


def _marked_class(element: xmlschema.XsdElement) -> SensitivityClass | None:
    if element.annotation is None:
        return None
    for appinfo in element.annotation.appinfo:
        for marker in appinfo:
            if marker.tag == _SENSITIVITY_TAG:
                value = (marker.text or "").strip()
                if value not in _CLASSES:
                    raise ValueError(f"{element.local_name}: unknown sensitivity {value!r}")
                return cast(SensitivityClass, value)
    return None
