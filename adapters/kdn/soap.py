"""SOAP 1.1 faults as the commission's systems answer them, shared by the commission's
simulator (its register service) and its gateway (the service the commission's system
calls to send to the hub). The namespaces and the envelope are in ``wsdl``, which the
hub's transport uses without loading Starlette; this module is the Starlette side."""

from __future__ import annotations

from lxml import etree
from starlette.responses import Response

from adapters.kdn.wsdl import SOAP_ENV_NS, XML_MEDIA_TYPE, soap_envelope

__all__ = ["fault"]


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
