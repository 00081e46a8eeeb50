"""Data minimisation: the copy of a message that one recipient may see.

Routing decides, per recipient, which sensitivity classes it may see; ``minimise`` removes
every payload element of the other classes, as the payload XSD marks them (see
``schemas.sensitivity``). Every element of class health, conduct or social is optional or
inside an optional container, so the minimised payload still validates against the same
(type, version). ``identity`` is never removed: an agency must know whom it helps.
Called once per recipient per message, so the element paths are worked out once per
(type, version) and each call is a deep copy plus a few ``findall``.
"""

from __future__ import annotations

import copy
import functools
from typing import get_args

from lxml import etree

from schemas.envelope_tree import payload_of, read_header
from schemas.namespaces import DSIG_NS
from schemas.sensitivity import SensitivityClass, sensitive_elements

__all__ = ["minimise"]

_CLASSES: frozenset[str] = frozenset(get_args(SensitivityClass))
_KEPT_ALWAYS = "identity"
_SIGNATURE = f"{{{DSIG_NS}}}Signature"


def minimise(
    envelope: etree._Element, allowed: frozenset[str]
) -> tuple[etree._Element, tuple[str, ...]]:
    """Return a copy of ``envelope`` without the payload data of classes not in ``allowed``.

    Parameters:
        envelope: an envelope that passed ``validate_envelope``; payload type and version
            are read from its header. It is not changed.
        allowed: the sensitivity classes the recipient may see; ``identity`` is kept
            whether listed or not.

    Returns:
        The deep copy, and the sorted classes of which at least one element was removed
        (empty when nothing was). The copy carries no ``ds:Signature``: the hub signs each
        outbound copy with its own key, and the sender's signature would no longer match
        a payload with elements removed.

    Raises:
        ValueError: ``allowed`` names a class that is not a ``SensitivityClass`` (a typo
            there would silently strip data).
        UnknownMessageType, UnsupportedVersion: the header names no known payload schema.
    """
    unknown = allowed - _CLASSES
    if unknown:
        raise ValueError(f"unknown sensitivity classes: {sorted(unknown)}")
    header = read_header(envelope)
    paths = _removable_paths(header.message_type, header.schema_version)
    minimised = copy.deepcopy(envelope)
    for signature in minimised.findall(_SIGNATURE):
        minimised.remove(signature)
    payload = payload_of(minimised)
    removed: list[str] = []
    for sensitivity, class_paths in paths:
        if sensitivity in allowed:
            continue
        # findall returns a list, so removing while looping over it is safe.
        found = [element for path in class_paths for element in payload.findall(path)]
        for element in found:
            parent = element.getparent()
            # An element inside one removed earlier in this loop is already detached.
            if parent is not None:
                parent.remove(element)
        if found:
            removed.append(sensitivity)
    return minimised, tuple(removed)


@functools.cache
def _removable_paths(message_type: str, version: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Return ((class, ElementPath expressions in Clark notation), …), sorted by class."""
    by_class: dict[str, list[str]] = {}
    for steps, sensitivity in sensitive_elements(message_type, version):
        if sensitivity != _KEPT_ALWAYS:
            by_class.setdefault(sensitivity, []).append("/".join(steps))
    return tuple((name, tuple(by_class[name])) for name in sorted(by_class))
