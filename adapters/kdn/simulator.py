"""A simulated commission on minors (КДН и ЗП): a SOAP 1.1 register of signals and case documents.

``GET /soap?wsdl`` serves ``service.wsdl`` (and ``/soap?xsd=signal`` its types);
``POST /soap`` takes ``RegisterSignal`` or ``RegisterDocument``: the request is parsed with
the project's safe parser and validated against ``signal.xsd`` (a signal also against the
commission's remit: a family without a minor) — either failing is a ``soap:Client`` fault —
de-duplicated by ``HubMessageId`` (a repeat answers the same RegistrationNumber with
Duplicate=true) and registered. A signal's registration is queued, in the same state write,
for the commission's gateway (``SubmitRegistration`` to its SOAP service, which makes it a
ReferralReceipt for the hub); decisions go the same way (``SubmitDecision``).
``POST /control/outage`` makes the next N calls answer a ``soap:Server`` fault.

Decisions (CaseDecision, decision body ``kdn``): automatically, once the commission has
filed both a survey act and a given consent for a case, it decides at its next meeting —
risk ``высокий``/``критический`` in the survey: the family is recognised in a socially
dangerous position (СОП) with the survey's curator; otherwise it is not recognised as СОП
(a ТЖС family is the council's). ``POST /cases/{case_ref}/decision`` decides on command,
the JSON body overriding any field of the resolution record (``documents``), e.g.
``{"Resolution": "признать семью находящейся в социально опасном положении"}``; it answers
202 ``{"case_ref", "record", "messages": [{"key", "message_id", "message_type", "status",
"error"}]}``.

Run: ``python -m adapters.kdn.simulator --port 8102 --state-dir var/kdn
--gateway http://127.0.0.1:8202`` (``hub gateway run kdn … --system
http://127.0.0.1:8102/soap``).

State (``state.json``)::

    {"register": {<HubMessageId>: {"registration_number", "registered_at", "calls",
                                   "signal_number", "source_agency", "family_surname",
                                   "children_count", "grounds", "urgent"}},
     "documents": {<HubMessageId>: {"registration_number", "registered_at", "calls",
                                    "document_type", "case_ref", "source_agency",
                                    "document_number", "summary", "risk_level"}},
     "cases": {<case_ref>: {"survey", "consent", "decisions": [<reply key>]}},
     "next_number": 1, "outbox": [<ReplyOutbox entries>]}
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
from lxml import etree
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

import schemas
from adapters.kdn.documents import DOCUMENT_TYPES, RESOLUTIONS, decision_to_canonical
from adapters.kdn.soap import fault
from adapters.kdn.translate import to_canonical
from adapters.kdn.wsdl import (
    SIGNAL_NS,
    SOAP_ENV_NS,
    XML_MEDIA_TYPE,
    kdn_resource,
    signal_schema,
    soap_envelope,
)
from adapters.simulation import (
    REPLY_INTERVAL_S,
    BackgroundLoop,
    GatewayAnswer,
    GatewayClient,
    OutageSwitch,
    ReplyOutbox,
    State,
    StateStore,
    control_routes,
    lifespan_of,
    run_simulator,
    send_now,
    state_answer,
)
from schemas import TranslationError

__all__ = [
    "GATEWAY_PATH",
    "SIGNAL_NS",
    "SOAP_ENV_NS",
    "create_app",
    "main",
    "signal_schema",
    "soap_answer",
]

#: The commission's SOAP service at its gateway (``adapters.gateway.kdn``).
GATEWAY_PATH = "/soap"

COMMISSION = "КДН и ЗП администрации Елизовского муниципального района"
SECRETARY = {
    "LastName": "Орлова",
    "FirstName": "Татьяна",
    "MiddleName": "Николаевна",
    "Position": "ответственный секретарь комиссии",
    "Phone": "+7 41531 7-25-10",
}
#: Resolutions by what the survey found.
_RECOGNISED, _NOT_RECOGNISED = (
    "признать семью находящейся в социально опасном положении",
    "не признавать семью находящейся в социально опасном положении",
)
assert {_RECOGNISED, _NOT_RECOGNISED} <= RESOLUTIONS.keys()
_MESSAGE_TYPES = {v: k for k, v in DOCUMENT_TYPES.items()}


def create_app(state_dir: Path, gateway: GatewayClient) -> Starlette:
    """The commission's SOAP service; its reply loop runs while the app serves."""
    store = StateStore(
        state_dir / "state.json", {"register": {}, "documents": {}, "cases": {}, "next_number": 1}
    )
    store.update(_upgrade)
    outbox = ReplyOutbox(store, gateway, soap_answer)
    outage = OutageSwitch()

    async def describe(request: Request) -> Response:
        if "wsdl" in request.query_params:
            location = str(request.url.replace(query=""))
            wsdl = kdn_resource("service.wsdl").replace(
                b"http://localhost/soap", location.encode("utf-8")
            )
            return Response(wsdl, media_type=XML_MEDIA_TYPE)
        if request.query_params.get("xsd") == "signal":
            return Response(kdn_resource("signal.xsd"), media_type=XML_MEDIA_TYPE)
        return Response("use ?wsdl", status_code=404, media_type="text/plain")

    async def call(request: Request) -> Response:
        if outage.take() is not None:
            return fault("Server", "Сервис временно недоступен")
        try:
            soap = schemas.parse_xml(await request.body())
        except schemas.SchemaError as exc:
            return fault("Client", f"request is not acceptable XML: {type(exc).__name__}")
        body = soap.find(f"{{{SOAP_ENV_NS}}}Body")
        record = None if body is None or len(body) != 1 else body[0]
        if record is None or record.tag not in (f"{{{SIGNAL_NS}}}Signal", _DOCUMENT):
            return fault("Client", "expected RegisterSignal or RegisterDocument")
        kind = etree.QName(record).localname
        schema = signal_schema()
        if not schema.validate(etree.ElementTree(record)):
            # The element path only: lxml's message quotes values, which may be personal data.
            error = schema.error_log.last_error  # type: ignore[attr-defined]  # not in lxml-stubs
            return fault("Client", f"invalid {kind} at {error.path}")
        if record.tag == _DOCUMENT:
            entry = store.update(lambda state: _file(state, record))
            return _ack(
                entry["registration_number"], duplicate=entry["calls"] > 1, tag="DocumentAck"
            )
        if not _has_minor(record, datetime.now(UTC).date()):
            # The commission's remit is minors: a family without one is the caller's error.
            return fault("Client", "no child under 18 in the Signal")
        entry = store.update(lambda state: _register(state, record))
        return _ack(entry["registration_number"], duplicate=entry["calls"] > 1)

    async def decide(request: Request) -> Response:
        case_ref = request.path_params["case_ref"]
        raw = await request.body()
        try:
            overrides = json.loads(raw) if raw.strip() else {}
        except (json.JSONDecodeError, UnicodeDecodeError):
            return JSONResponse({"field": "body", "reason": "not JSON"}, 422)
        if not isinstance(overrides, dict):
            return JSONResponse({"field": "body", "reason": "not an object"}, 422)
        try:
            record, key = store.update(lambda state: _decide(state, case_ref, overrides))
        except TranslationError as exc:
            return JSONResponse({"field": exc.field, "reason": exc.reason}, 422)
        messages = await send_now(store, outbox, [key])
        return JSONResponse({"case_ref": case_ref, "record": record, "messages": messages}, 202)

    def state_view() -> object:
        state = store.read()
        received = [
            {
                "message_id": message_id,
                "message_type": "FamilyReferral",
                "sender": entry["source_agency"],
                "case_ref": None,
                "registration_number": entry["registration_number"],
                "calls": entry["calls"],
            }
            for message_id, entry in state["register"].items()
        ] + [
            {
                "message_id": message_id,
                "message_type": _MESSAGE_TYPES[entry["document_type"]],
                "sender": entry["source_agency"],
                "case_ref": entry["case_ref"],
                "registration_number": entry["registration_number"],
                "calls": entry["calls"],
            }
            for message_id, entry in state["documents"].items()
        ]
        return state_answer(
            state,
            received,
            registers={
                "cases": state["cases"],
            },
            counts={
                "calls": sum(item["calls"] for item in received),
            },
        )

    loops = [BackgroundLoop("kdn-replies", outbox.send_pending, REPLY_INTERVAL_S)]
    return Starlette(
        routes=[
            Route("/soap", describe, methods=["GET"]),
            Route("/soap", call, methods=["POST"]),
            Route("/cases/{case_ref}/decision", decide, methods=["POST"]),
            *control_routes(outage, state_view),
        ],
        lifespan=lifespan_of(loops),
    )


def _has_minor(signal: etree._Element, today: date) -> bool:
    # Compared as (year, month, day): date.replace(year=…) fails on 29 February.
    coming_of_age = (today.year - 18, today.month, today.day)
    births = signal.iterfind("k:Family/k:Children/k:Child/k:BirthDate", {"k": SIGNAL_NS})
    return any(date.fromisoformat(b.text or "").timetuple()[:3] > coming_of_age for b in births)


def _register(state: State, signal: etree._Element) -> State:
    """Register a new signal and queue its receipt, or count a repeated call."""

    def text(path: str) -> str | None:
        return signal.findtext(path, namespaces={"k": SIGNAL_NS})

    hub_message_id = text("k:HubMessageId") or ""
    register = state["register"]
    if hub_message_id in register:
        register[hub_message_id]["calls"] += 1
        return dict(register[hub_message_id])
    now = datetime.now(UTC)
    number = state["next_number"]
    state["next_number"] = number + 1
    urgent = text("k:Urgent") in ("true", "1")
    entry = {
        "registration_number": f"КДН-{now.year}-{number:04d}",
        "registered_at": now.isoformat(),
        "calls": 1,
        "signal_number": text("k:SignalNumber"),
        "source_agency": text("k:SourceAgency"),
        "family_surname": text("k:Family/k:Surname"),
        "children_count": int(text("k:Family/k:ChildrenCount") or 0),
        "grounds": [g.text for g in signal.iterfind("k:Grounds/k:Ground", {"k": SIGNAL_NS})],
        "urgent": urgent,
    }
    register[hub_message_id] = entry
    registration = {
        "HubMessageId": hub_message_id,
        "CaseRef": text("k:CaseRef"),
        "Urgent": urgent,
        "Outcome": "зарегистрировано",
        "RegistrationNumber": entry["registration_number"],
        "RegisteredAt": now.isoformat(),
        "Commission": COMMISSION,
        "Secretary": SECRETARY,
        "Note": "Сообщение зарегистрировано, рассмотрение на ближайшем заседании комиссии",
    }
    _queue(state, "Registration", {k: v for k, v in registration.items() if v is not None}, now)
    return dict(entry)


_DOCUMENT = f"{{{SIGNAL_NS}}}Document"


def _file(state: State, document: etree._Element) -> State:
    """File a new case document (and decide when the case is ready), or count a repeat."""

    def text(path: str) -> str | None:
        return document.findtext(path, namespaces={"k": SIGNAL_NS})

    hub_message_id = text("k:HubMessageId") or ""
    documents = state["documents"]
    if hub_message_id in documents:
        documents[hub_message_id]["calls"] += 1
        return dict(documents[hub_message_id])
    now = datetime.now(UTC)
    number = state["next_number"]
    state["next_number"] = number + 1
    entry = {
        "registration_number": f"КДН-Д-{now.year}-{number:04d}",
        "registered_at": now.isoformat(),
        "calls": 1,
        "document_type": text("k:DocumentType"),
        "case_ref": text("k:CaseRef"),
        "source_agency": text("k:SourceAgency"),
        "document_number": text("k:DocumentNumber"),
        "summary": text("k:Summary"),
        "risk_level": text("k:RiskLevel"),
    }
    documents[hub_message_id] = entry
    case_ref = text("k:CaseRef")
    if case_ref is None:
        return dict(entry)
    case = state["cases"].setdefault(case_ref, {"survey": None, "consent": None, "decisions": []})
    if entry["document_type"] == DOCUMENT_TYPES["SurveyAct"]:
        curator = document.find("k:Curator", {"k": SIGNAL_NS})
        case["survey"] = {
            "message_id": hub_message_id,
            "risk_level": entry["risk_level"],
            "curator": None
            if curator is None
            else {etree.QName(child).localname: child.text for child in curator},
            "curator_organisation": text("k:CuratorOrganisation"),
        }
    elif entry["document_type"] == DOCUMENT_TYPES["ConsentRecord"]:
        case["consent"] = {"message_id": hub_message_id, "summary": entry["summary"]}
    if case["survey"] and case["consent"] and not case["decisions"]:
        consent_given = case["consent"]["summary"] == "согласие дано"
        if consent_given:
            _decide(state, case_ref, {})
    return dict(entry)


def _decide(state: State, case_ref: str, overrides: dict[str, object]) -> tuple[State, str]:
    """Queue the commission's resolution on ``case_ref``; return it and its reply key.

    Raises:
        TranslationError: an override the translation refuses (nothing is queued).
    """
    now = datetime.now(UTC)
    number = state["next_number"]
    state["next_number"] = number + 1
    case = state["cases"].setdefault(case_ref, {"survey": None, "consent": None, "decisions": []})
    survey = case["survey"] or {}
    dangerous = survey.get("risk_level") in ("высокий", "критический")
    record: State = {
        "CaseRef": case_ref,
        "InReplyTo": survey.get("message_id"),
        "DecisionNumber": f"ПОСТ-{now.year}-{number:04d}",
        "MeetingAt": now.isoformat(),
        "Commission": COMMISSION,
        "Resolution": _RECOGNISED if dangerous else _NOT_RECOGNISED,
        "RiskLevel": survey.get("risk_level"),
        "Curator": survey.get("curator") if dangerous else None,
        "CuratorOrganisation": survey.get("curator_organisation") if dangerous else None,
        "ProtocolRef": f"Протокол заседания комиссии № {number} от {now.date():%d.%m.%Y}",
        "Grounds": "Акт обследования жилищно-бытовых условий, согласие семьи на сопровождение",
        **overrides,
    }
    record = {k: v for k, v in record.items() if v is not None}
    key = _queue(state, "Decision", record, now)
    case["decisions"].append(key)
    return record, key


#: The gateway's operations: the record's element → the translation it checks against.
_OPERATIONS = {"Registration": to_canonical, "Decision": decision_to_canonical}


def _queue(state: State, operation: str, record: dict[str, Any], now: datetime) -> str:
    """Queue ``record`` as a SOAP call to the gateway's ``operation``; return its key.

    Raises:
        TranslationError: the record does not translate (nothing is queued).
    """
    key = str(uuid.uuid4())
    envelope = _OPERATIONS[operation](record, message_id=key, now=now)
    element = etree.Element(f"{{{SIGNAL_NS}}}{operation}", nsmap={"k": SIGNAL_NS})
    _fill(element, record)
    ReplyOutbox.add(
        state,
        key=key,
        message_type=schemas.read_header(envelope).message_type,
        path=GATEWAY_PATH,
        body=etree.tostring(soap_envelope(element), encoding="unicode"),
        content_type=XML_MEDIA_TYPE,
    )
    return key


def _fill(element: etree._Element, record: dict[str, Any]) -> None:
    """The record's fields as child elements, as the gateway's WSDL has them: nested records
    nested, flags ``true``/``false``."""
    for name, value in record.items():
        child = etree.SubElement(element, f"{{{SIGNAL_NS}}}{name}")
        if isinstance(value, dict):
            _fill(child, value)
        elif isinstance(value, bool):
            child.text = "true" if value else "false"
        else:
            child.text = str(value)


def soap_answer(response: httpx.Response) -> GatewayAnswer:
    """The gateway's SOAP answer (``adapters.gateway.kdn``): ``SubmitAck`` taken (sent, or
    queued in the gateway), a ``soap:Client`` fault refused with the hub's code in its
    ``faultstring``; anything else (``soap:Server``, not SOAP): retry."""
    try:
        soap = schemas.parse_xml(response.content)
    except schemas.SchemaError:
        return GatewayAnswer("retry", code=f"http.{response.status_code}")
    ack = soap.find(f"{{{SOAP_ENV_NS}}}Body/{{{SIGNAL_NS}}}SubmitAck")
    if ack is not None:
        message_id = ack.findtext(f"{{{SIGNAL_NS}}}MessageId")
        return GatewayAnswer("taken", message_id)
    fault_element = soap.find(f"{{{SOAP_ENV_NS}}}Body/{{{SOAP_ENV_NS}}}Fault")
    if fault_element is None:
        return GatewayAnswer("retry", code=f"http.{response.status_code}")
    code = fault_element.findtext("faultstring")
    if fault_element.findtext("faultcode") == "soap:Client":
        return GatewayAnswer("refused", code=code)
    return GatewayAnswer("retry", code=code)


def _ack(registration_number: str, *, duplicate: bool, tag: str = "SignalAck") -> Response:
    ack = etree.Element(f"{{{SIGNAL_NS}}}{tag}", nsmap={"k": SIGNAL_NS})
    etree.SubElement(ack, f"{{{SIGNAL_NS}}}RegistrationNumber").text = registration_number
    etree.SubElement(ack, f"{{{SIGNAL_NS}}}Duplicate").text = "true" if duplicate else "false"
    return Response(
        etree.tostring(soap_envelope(ack), xml_declaration=True, encoding="utf-8"),
        200,
        media_type=XML_MEDIA_TYPE,
    )


def _upgrade(state: State) -> None:
    """Add what a state file from before the case lifecycle lacks; keep the rest."""
    state.setdefault("documents", {})
    state.setdefault("cases", {})


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of ``python -m adapters.kdn.simulator``."""
    run_simulator(argv, description=__doc__.splitlines()[0], create_app=create_app)


if __name__ == "__main__":
    main()
