"""The commission's two register operations as the hub calls them, without a SOAP library.

``RegisterSignal`` takes a ``Signal``, ``RegisterDocument`` a ``Document`` (``service.wsdl``,
document/literal). ``request_body`` writes a record (``translate.from_canonical``) into the
request envelope as zeep would for the same WSDL — elements in the schema's order, flags
``true``/``false``, the same prefixes — checked against ``signal.xsd`` first, so a record the
register cannot take never leaves the hub. Each element's child order is read from the XSD
once. ``read_answer`` turns the register's answer into its registration number
or the delivery contract's errors, as zeep and the transport's mapping did:
``tests/unit/adapters/test_kdn_operations.py`` proves the bytes equal zeep's after C14N.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from lxml import etree

import schemas
from adapters.base import PartnerRejected, PartnerUnavailable
from adapters.kdn.wsdl import SIGNAL_NS, SOAP_ENV_NS, kdn_resource, signal_schema

__all__ = ["OPERATIONS", "Operation", "read_answer", "request_body"]

_XS = "{http://www.w3.org/2001/XMLSchema}"
#: zeep's prefixes: the equivalence test compares C14N, which keeps prefixes.
_ENVELOPE_PREFIX: Final = (
    b"<?xml version='1.0' encoding='utf-8'?>\n"
    b'<soap-env:Envelope xmlns:soap-env="' + SOAP_ENV_NS.encode() + b'"><soap-env:Body>'
)
_ENVELOPE_SUFFIX: Final = b"</soap-env:Body></soap-env:Envelope>"
_NSMAP: Final = {"ns0": SIGNAL_NS}


@dataclass(frozen=True)
class _Template:
    """An element's children in the schema's order: name → its own template (``None`` for
    a simple value) and whether it repeats (maxOccurs above one: a list in the record)."""

    children: Mapping[str, tuple[_Template | None, bool]]


@dataclass(frozen=True)
class Operation:
    """One operation of the register: its request element, SOAPAction and answer element."""

    name: str
    request: str
    soap_action: str
    answer: str


#: Canonical message kind → operation: a referral is a signal, anything else a case document.
OPERATIONS: Final = {
    "signal": Operation("RegisterSignal", "Signal", f'"{SIGNAL_NS}#RegisterSignal"', "SignalAck"),
    "document": Operation(
        "RegisterDocument", "Document", f'"{SIGNAL_NS}#RegisterDocument"', "DocumentAck"
    ),
}


def request_body(operation: Operation, record: Mapping[str, object]) -> bytes:
    """The SOAP request that carries ``record``, as bytes to POST.

    Raises:
        PartnerRejected: the record does not fit the register's schema (a missing field, a
            value outside its directory); the message names the element, never its value.
        TypeError: the record has a field the schema has not (a bug in the translation).
    """
    element = etree.Element(f"{{{SIGNAL_NS}}}{operation.request}", nsmap=_NSMAP)
    _fill(element, record, _template(operation.request))
    schema = signal_schema()
    if not schema.validate(element):
        # The element path only: lxml's message quotes values, which may be personal data.
        error = schema.error_log.last_error  # type: ignore[attr-defined]  # not in lxml-stubs
        raise PartnerRejected(f"record does not fit the commission's schema at {error.path}")
    return _ENVELOPE_PREFIX + etree.tostring(element, encoding="utf-8") + _ENVELOPE_SUFFIX


def read_answer(operation: Operation, status: int, content: bytes) -> str:
    """The registration number in the register's answer to ``operation``.

    Raises:
        PartnerRejected: a ``soap:Client`` fault (the commission refused this message).
        PartnerUnavailable: any other fault, an HTTP error without SOAP, an answer that is
            not XML, or one without a registration number: the call may pass later, and the
            register de-duplicates a repeat by its HubMessageId.
    """
    if not content:
        raise PartnerUnavailable(f"commission answered HTTP {status}")
    try:
        answer = schemas.parse_xml(content)
    except schemas.SchemaError as exc:
        raise PartnerUnavailable(f"commission answered HTTP {status}") from exc
    fault = answer.find(f"{{{SOAP_ENV_NS}}}Body/{{{SOAP_ENV_NS}}}Fault")
    if fault is not None or status != 200:
        raise _fault_error(fault)
    number = answer.findtext(
        f"{{{SOAP_ENV_NS}}}Body/{{{SIGNAL_NS}}}{operation.answer}/{{{SIGNAL_NS}}}RegistrationNumber"
    )
    if not number:
        raise PartnerUnavailable(f"commission answered {operation.name} without a number")
    return number


def _fault_error(fault: etree._Element | None) -> PartnerRejected | PartnerUnavailable:
    """A SOAP 1.1 fault (faultcode and faultstring unqualified) as the contract's error; an
    HTTP error whose XML holds no fault is an unknown one."""
    if fault is None:
        return PartnerUnavailable("commission fault unknown")
    code = (fault.findtext("faultcode") or "").rpartition(":")[2]
    if code == "Client":
        return PartnerRejected(f"commission refused the message: {fault.findtext('faultstring')}")
    return PartnerUnavailable(f"commission fault {code or 'unknown'}")


def _fill(element: etree._Element, record: Mapping[str, object], template: _Template) -> None:
    """Append ``record``'s fields to ``element`` in ``template``'s order."""
    unknown = record.keys() - template.children.keys()
    if unknown:
        raise TypeError(f"{etree.QName(element).localname} has no field {sorted(unknown)[0]!r}")
    for name, (child_template, repeats) in template.children.items():
        value = record.get(name)
        if value is None:
            continue
        values = value if repeats and isinstance(value, list) else [value]
        for one in values:
            child = etree.SubElement(element, f"{{{SIGNAL_NS}}}{name}")
            if child_template is not None and isinstance(one, Mapping):
                _fill(child, one, child_template)
            else:
                child.text = _text(one)


def _text(value: object) -> str:
    # xs:boolean's canonical form; numbers and the translation's ISO strings as they are.
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@functools.cache
def _template(element_name: str) -> _Template:
    """The template of a top-level element of ``signal.xsd``, read once."""
    xsd = _signal_xsd()
    (element,) = xsd.findall(f"{_XS}element[@name='{element_name}']")
    template = _element_template(xsd, element)
    assert template is not None, element_name
    return template


def _element_template(xsd: etree._Element, element: etree._Element) -> _Template | None:
    complex_type = element.find(f"{_XS}complexType")
    type_name = element.get("type", "").rpartition(":")[2]
    if complex_type is None and type_name:
        complex_type = xsd.find(f"{_XS}complexType[@name='{type_name}']")
    if complex_type is None:
        return None
    return _Template(
        {
            child.get("name", ""): (
                _element_template(xsd, child),
                child.get("maxOccurs", "1") != "1",
            )
            for child in complex_type.iterfind(f"{_XS}sequence/{_XS}element")
        }
    )


@functools.cache
def _signal_xsd() -> etree._Element:
    # The trusted file shipped with the package, as a tree to read the element orders from.
    return etree.fromstring(kdn_resource("signal.xsd"))
