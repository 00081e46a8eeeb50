"""What the commission's WSDL fixes, free of any web framework (the worker loads this, not
the services' Starlette): the SOAP and register namespaces, the media type, the files shipped
with the adapter (``service.wsdl``, ``signal.xsd``), the register's types compiled once, and
the SOAP 1.1 envelope around a body."""

from __future__ import annotations

import functools
from importlib import resources

from lxml import etree

__all__ = [
    "SIGNAL_NS",
    "SOAP_ENV_NS",
    "XML_MEDIA_TYPE",
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
