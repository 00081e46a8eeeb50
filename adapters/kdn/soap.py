"""SOAP 1.1 as the commission's systems speak it: the namespaces, envelopes, faults and the
register's types (``signal.xsd``), shared by the commission's simulator (its register service),
the hub's transport to it and its gateway (the service the commission's system calls to send
to the hub)."""

from __future__ import annotations

import functools
from importlib import resources

from lxml import etree
from starlette.responses import Response

__all__ = [
    "SIGNAL_NS",
    "SOAP_ENV_NS",
    "XML_MEDIA_TYPE",
    "fault",
    "kdn_resource",
    "signal_schema",
    "soap_envelope",
]

SOAP_ENV_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SIGNAL_NS = "urn:kdn-zp:signals:1"
XML_MEDIA_TYPE = "text/xml; charset=utf-8"


@functools.cache
def kdn_resource(name: str) -> bytes:
    """A file shipped with the commission's adapter (``service.wsdl``, ``signal.xsd``)."""
    return resources.files("adapters.kdn").joinpath(name).read_bytes()


@functools.cache
def signal_schema() -> etree.XMLSchema:
    """The register's types, compiled once."""
    # A trusted file shipped with the package, parsed once; never a document from the wire.
    return etree.XMLSchema(etree.fromstring(kdn_resource("signal.xsd")))


def soap_envelope(body_child: etree._Element) -> etree._Element:
    """A SOAP 1.1 envelope whose Body holds ``body_child``."""
    envelope = etree.Element(f"{{{SOAP_ENV_NS}}}Envelope", nsmap={"soap": SOAP_ENV_NS})
    etree.SubElement(envelope, f"{{{SOAP_ENV_NS}}}Body").append(body_child)
    return envelope


def fault(code: str, message: str, detail: etree._Element | None = None) -> Response:
    """A SOAP 1.1 fault: ``Client`` for the caller's data, ``Server`` for ours (HTTP 500, as
    SOAP 1.1 answers every fault); ``detail`` says more in the service's own terms."""
    element = etree.Element(f"{{{SOAP_ENV_NS}}}Fault")
    # faultcode and faultstring are unqualified in SOAP 1.1.
    etree.SubElement(element, "faultcode").text = f"soap:{code}"
    etree.SubElement(element, "faultstring").text = message
    if detail is not None:
        etree.SubElement(element, "detail").append(detail)
    body = etree.tostring(soap_envelope(element), xml_declaration=True, encoding="utf-8")
    return Response(body, 500, media_type=XML_MEDIA_TYPE)
