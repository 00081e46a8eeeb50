"""The commission's native side of its gateway: a SOAP 1.1 service (``gateway/kdn.wsdl``).

``POST /soap`` (document/literal, namespace ``urn:kdn-zp:signals:1``, the commission's own):

- ``SubmitRegistration``: Body ``k:Registration`` — the register's entry for a signal the hub
  delivered (``HubMessageId``, ``Outcome``, ``RegistrationNumber``, ``RegisteredAt``,
  ``Commission``, ``Secretary`` …, as ``adapters.kdn.translate.to_canonical`` reads);
  one per signal (its MessageId derives from ``HubMessageId``);
- ``SubmitDecision``: Body ``k:Decision`` — a resolution of the commission's meeting
  (``CaseRef``, ``InReplyTo``, ``DecisionNumber``, ``MeetingAt``, ``Resolution`` …, as
  ``adapters.kdn.documents.decision_to_canonical`` reads); one per ``DecisionNumber``.

Each child element is a field, nested elements are nested records, ``true``/``false`` are
flags. The answer is ``k:SubmitAck`` (``Status`` ``accepted`` with ``HubId`` and each
``Recipient``, or ``queued`` while the hub is unreachable; ``GatewayId``, ``MessageId``), or
a SOAP Fault whose ``faultstring`` is the hub's code and whose ``detail`` holds
``k:Refusal`` (``Code``, ``Field``, ``Reason`` or ``Detail``): ``soap:Client`` for the
commission's data or the hub's refusal, ``soap:Server`` when the gateway cannot keep it.
``GET /soap?wsdl`` serves the WSDL.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources

from lxml import etree
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import schemas
from adapters.gateway.intake import (
    INVALID_PAYLOAD,
    InputRefused,
    Intake,
    Outcome,
    idempotent_message_id,
)
from adapters.gateway.rest import SPOOL_UNAVAILABLE
from adapters.gateway.spool import OutgoingState, SpoolUnavailable
from adapters.kdn.documents import decision_to_canonical
from adapters.kdn.soap import fault
from adapters.kdn.translate import to_canonical
from adapters.kdn.wsdl import SIGNAL_NS, SOAP_ENV_NS, XML_MEDIA_TYPE, soap_envelope
from adapters.native import Fields
from schemas import TranslationError

__all__ = ["routes"]

#: Operation element → (its translation, the field its MessageId derives from).
_OPERATIONS: dict[str, tuple[Callable[..., etree._Element], str]] = {
    "Registration": (to_canonical, "HubMessageId"),
    "Decision": (decision_to_canonical, "DecisionNumber"),
}
_FLAGS = {"true": True, "false": False}


def routes(intake: Intake) -> list[Route]:
    """The commission's SOAP service."""

    async def describe(request: Request) -> Response:
        if "wsdl" not in request.query_params:
            return Response("use ?wsdl", status_code=404, media_type="text/plain")
        location = str(request.url.replace(query=""))
        wsdl = (resources.files("adapters.gateway") / "kdn.wsdl").read_bytes()
        return Response(
            wsdl.replace(b"http://localhost/soap", location.encode("utf-8")),
            media_type=XML_MEDIA_TYPE,
        )

    async def call(request: Request) -> Response:
        try:
            operation, record = _read_call(await request.body())
            translate, key = _OPERATIONS[operation]
            message_id = idempotent_message_id(
                intake.code, f"{operation}:{Fields(record).text(key)}"
            )
            outcome = await run_in_threadpool(
                intake.submit,
                message_id,
                lambda mid, now: translate(record, message_id=mid, now=now),
            )
        except TranslationError as exc:
            return _refusal(InputRefused(INVALID_PAYLOAD, exc.field, exc.reason))
        except InputRefused as exc:
            return _refusal(exc)
        except SpoolUnavailable as exc:
            return fault("Server", SPOOL_UNAVAILABLE, _detail(SPOOL_UNAVAILABLE, Detail=str(exc)))
        return _answer(outcome)

    return [Route("/soap", describe, methods=["GET"]), Route("/soap", call, methods=["POST"])]


def _read_call(body: bytes) -> tuple[str, dict[str, object]]:
    """The operation and its record from a SOAP request.

    Raises:
        InputRefused: not acceptable XML, or not one of the operations.
    """
    try:
        soap = schemas.parse_xml(body)
    except schemas.SchemaError as exc:
        raise InputRefused(f"xml.{exc.reason}", "/", "the request is not acceptable XML") from exc
    children = soap.find(f"{{{SOAP_ENV_NS}}}Body")
    element = None if children is None or len(children) != 1 else children[0]
    qname = None if element is None else etree.QName(element)
    if element is None or qname is None or qname.namespace != SIGNAL_NS:
        raise InputRefused(INVALID_PAYLOAD, "Body", "expected k:Registration or k:Decision")
    if qname.localname not in _OPERATIONS:
        raise InputRefused(INVALID_PAYLOAD, "Body", "expected k:Registration or k:Decision")
    return qname.localname, _record(element)


def _record(element: etree._Element) -> dict[str, object]:
    """An element's children as a record: leaves are text (or flags), others records."""
    record: dict[str, object] = {}
    for child in element:
        name = etree.QName(child).localname
        if len(child):
            record[name] = _record(child)
        else:
            text = child.text or ""
            record[name] = _FLAGS.get(text.strip(), text)
    return record


def _answer(outcome: Outcome) -> Response:
    entry = outcome.entry
    if entry.state is OutgoingState.REFUSED:
        code = entry.code or "hub.refused"
        return fault("Client", code, _detail(code, Detail=entry.detail or ""))
    ack = etree.Element(f"{{{SIGNAL_NS}}}SubmitAck", nsmap={"k": SIGNAL_NS})
    sent = entry.state is OutgoingState.SENT
    _add(ack, "Status", "accepted" if sent else "queued")
    _add(ack, "GatewayId", str(entry.gateway_id))
    _add(ack, "MessageId", entry.message_id)
    if sent and entry.hub_id is not None:
        _add(ack, "HubId", str(entry.hub_id))
    for recipient in entry.recipients:
        _add(ack, "Recipient", recipient)
    body = etree.tostring(soap_envelope(ack), xml_declaration=True, encoding="utf-8")
    return Response(body, 200, media_type=XML_MEDIA_TYPE)


def _refusal(exc: InputRefused) -> Response:
    return fault("Client", exc.code, _detail(exc.code, Field=exc.field, Reason=exc.reason))


def _detail(code: str, **fields: str) -> etree._Element:
    refusal = etree.Element(f"{{{SIGNAL_NS}}}Refusal", nsmap={"k": SIGNAL_NS})
    _add(refusal, "Code", code)
    for name, value in fields.items():
        _add(refusal, name, value)
    return refusal


def _add(parent: etree._Element, name: str, text: str) -> None:
    etree.SubElement(parent, f"{{{SIGNAL_NS}}}{name}").text = text
