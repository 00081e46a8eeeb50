"""The commission's system through its gateway: SOAP 1.1 in, a SubmitAck or a Fault with the
hub's code out."""

from typing import Any

import httpx
import pytest
import zeep
from lxml import etree

from adapters.kdn.wsdl import SIGNAL_NS, SOAP_ENV_NS
from adapters.police.translate import message_id_for
from tests.integration.gateway.conftest import Gateways
from tests.unit.adapters import golden

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

K = {"k": SIGNAL_NS}


def _soap(operation: str, record: dict[str, Any]) -> bytes:
    envelope = etree.Element(f"{{{SOAP_ENV_NS}}}Envelope", nsmap={"soap": SOAP_ENV_NS})
    body = etree.SubElement(envelope, f"{{{SOAP_ENV_NS}}}Body")
    _fill(etree.SubElement(body, f"{{{SIGNAL_NS}}}{operation}", nsmap=K), record)
    return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")


def _fill(parent: etree._Element, record: dict[str, Any]) -> None:
    for name, value in record.items():
        child = etree.SubElement(parent, f"{{{SIGNAL_NS}}}{name}")
        if isinstance(value, dict):
            _fill(child, value)
        else:
            child.text = str(value).lower() if isinstance(value, bool) else str(value)


def _post(url: str, operation: str, record: dict[str, Any]) -> tuple[int, etree._Element]:
    answer = httpx.post(
        f"{url}/soap",
        content=_soap(operation, record),
        headers={"Content-Type": "text/xml; charset=utf-8"},
        timeout=30,
    )
    return answer.status_code, etree.fromstring(answer.content)


def test_a_registration_is_accepted_and_answers_the_police_signal(gateways: Gateways) -> None:
    _, police = gateways.start(gateways.options("police"))
    _, kdn = gateways.start(gateways.options("kdn"))
    signal = golden.native("police", "signal")
    assert httpx.post(f"{police.url}/referrals", json=signal, timeout=30).status_code == 200
    registration = golden.native("kdn", "registration")
    registration["HubMessageId"] = message_id_for(signal["kusp_number"])

    status, answer = _post(kdn.url, "Registration", registration)

    assert status == 200, etree.tostring(answer)
    ack = answer.find("soap:Body/k:SubmitAck", {**K, "soap": SOAP_ENV_NS})
    assert ack is not None
    assert ack.findtext("k:Status", namespaces=K) == "accepted"
    assert ack.findtext("k:HubId", namespaces=K)
    assert "police" in [r.text for r in ack.iterfind("k:Recipient", K)]


def test_a_decision_that_does_not_translate_is_a_client_fault_with_the_field(
    gateways: Gateways,
) -> None:
    _, kdn = gateways.start(gateways.options("kdn"))
    decision = golden.native("kdn", "decision")
    decision["Resolution"] = "отложить"

    status, answer = _post(kdn.url, "Decision", decision)

    assert status == 500
    fault = answer.find("soap:Body/soap:Fault", {"soap": SOAP_ENV_NS})
    assert fault is not None
    assert fault.findtext("faultcode") == "soap:Client"
    assert fault.findtext("faultstring") == "payload.invalid"
    assert fault.findtext("detail/k:Refusal/k:Field", namespaces=K) == "Resolution"


def test_the_hubs_refusal_is_a_client_fault_with_its_code(gateways: Gateways) -> None:
    _, kdn = gateways.start(gateways.options("kdn"))
    # A registration of a signal the hub never saw.
    status, answer = _post(kdn.url, "Registration", golden.native("kdn", "registration"))

    assert status == 500
    fault = answer.find("soap:Body/soap:Fault", {"soap": SOAP_ENV_NS})
    assert fault is not None
    assert fault.findtext("faultstring") == "routing.unknown_correlation"
    assert fault.findtext("detail/k:Refusal/k:Code", namespaces=K) == "routing.unknown_correlation"


def test_the_wsdl_describes_both_operations_at_the_gateways_address(gateways: Gateways) -> None:
    _, kdn = gateways.start(gateways.options("kdn"))

    client = zeep.Client(f"{kdn.url}/soap?wsdl")

    port = client.wsdl.services["CommissionGateway"].ports["CommissionGatewayPort"]
    assert sorted(port.binding._operations) == ["SubmitDecision", "SubmitRegistration"]
    assert port.binding_options["address"] == f"{kdn.url}/soap"
