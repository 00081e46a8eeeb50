"""The schema registry: maps (message type, version) to its XSD, compiled once.

XSDs ship as package data: ``schemas/<Type>/<Type>-<major>.<minor>.xsd``, plus
``envelope/`` and ``common/``. A new message type or version is one new file; nothing here
changes. Each XSD is loaded from its file path so that libxml2 resolves the relative
``xs:import schemaLocation="../common/…"`` locally; network access is off. This needs the
package installed as files (editable or wheel), not zipped.

lxml schemas serve the hot path (validation ≈ tens of µs); xmlschema schemas serve the slow
paths that need a walkable model (diagnostics, sensitivity classes).
"""

from __future__ import annotations

import functools
import re
from importlib.resources import as_file, files

import xmlschema
from lxml import etree

from schemas.errors import UnknownMessageType, UnsupportedVersion

__all__ = ["envelope_schema", "known_schemas", "schema_for"]

_PACKAGE = "schemas"
_ENVELOPE_XSD = "envelope/envelope-1.0.xsd"
# Payload folders are named like their message type (CamelCase); "envelope" and "common"
# are lower-case and so never taken for a message type.
_TYPE_FOLDER = re.compile(r"[A-Z][A-Za-z0-9]{1,63}")
_VERSIONED_XSD = r"-(?P<version>[0-9]{1,3}\.[0-9]{1,3})\.xsd"


@functools.cache
def _discover() -> tuple[tuple[str, str], ...]:
    found = []
    for folder in files(_PACKAGE).iterdir():
        if not (folder.is_dir() and _TYPE_FOLDER.fullmatch(folder.name)):
            continue
        xsd_name = re.compile(re.escape(folder.name) + _VERSIONED_XSD)
        for file in folder.iterdir():
            match = xsd_name.fullmatch(file.name)
            if match is not None:
                found.append((folder.name, match["version"]))
    return tuple(sorted(found, key=lambda pair: (pair[0], _version_key(pair[1]))))


def _version_key(version: str) -> tuple[int, ...]:
    # Numeric order: 1.10 comes after 1.9.
    return tuple(int(part) for part in version.split("."))


def known_schemas() -> list[tuple[str, str]]:
    """Return every (message type, version) with an XSD, sorted by type then version."""
    return list(_discover())


def _xsd_path(message_type: str, version: str) -> str:
    """Return the package-relative XSD path for a known (type, version).

    Raises:
        UnknownMessageType: no XSD folder for ``message_type``.
        UnsupportedVersion: the type exists, but not in ``version``.
    """
    pairs = _discover()
    if (message_type, version) not in pairs:
        if all(known_type != message_type for known_type, _ in pairs):
            raise UnknownMessageType(message_type)
        raise UnsupportedVersion(message_type, version)
    return f"{message_type}/{message_type}-{version}.xsd"


@functools.cache
def _compile(relative_path: str) -> etree.XMLSchema:
    # Our own XSDs are trusted, but still parsed without DTDs, entities or network, and by a
    # parser of this call's own (schemas.parser says why none is shared between threads).
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    with as_file(files(_PACKAGE) / relative_path) as path:
        return etree.XMLSchema(etree.parse(str(path), parser))


def envelope_schema() -> etree.XMLSchema:
    """Return the compiled envelope XSD (compiled on first use, then shared)."""
    return _compile(_ENVELOPE_XSD)


def schema_for(message_type: str, version: str) -> etree.XMLSchema:
    """Return the compiled payload XSD of one message type and version.

    Compiled on first use, then shared. lxml keeps one error log per schema object: the
    boolean result of ``validate`` is thread-safe, the error log after it is not.

    Raises:
        UnknownMessageType: no schema exists for ``message_type``.
        UnsupportedVersion: the type exists, but not in ``version``.
    """
    return _compile(_xsd_path(message_type, version))


@functools.cache
def _load_model(relative_path: str) -> xmlschema.XMLSchema10:
    with as_file(files(_PACKAGE) / relative_path) as path:
        return xmlschema.XMLSchema10(str(path), allow="local")


def envelope_model() -> xmlschema.XMLSchema10:
    """Return the envelope XSD as an xmlschema model (slow path: diagnostics)."""
    return _load_model(_ENVELOPE_XSD)


def model_for(message_type: str, version: str) -> xmlschema.XMLSchema10:
    """Return one payload XSD as an xmlschema model (slow path: diagnostics, sensitivity).

    Raises:
        UnknownMessageType: no schema exists for ``message_type``.
        UnsupportedVersion: the type exists, but not in ``version``.
    """
    return _load_model(_xsd_path(message_type, version))
