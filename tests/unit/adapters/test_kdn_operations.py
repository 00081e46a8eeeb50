"""The commission's requests written without zeep are the bytes zeep writes, and its answers
map onto the delivery contract as zeep's did."""

from collections.abc import Iterator, Mapping
from typing import Any

import pytest
import zeep
import zeep.transports
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from adapters.base import PartnerRejected, PartnerUnavailable
from adapters.kdn.operations import OPERATIONS, Operation, read_answer, request_body
from adapters.kdn.wsdl import SIGNAL_NS, SOAP_ENV_NS, kdn_resource, soap_envelope
from tests.unit.adapters import golden
from tests.unit.adapters.strategies import birth_dates, moments, names, phones, texts, uuids

BINDING = f"{{{SIGNAL_NS}}}SignalRegisterBinding"


class _PackagedWsdl(zeep.transports.Transport):
    """zeep reading the WSDL and XSD the simulator serves, from the package, offline."""

    def load(self, url: str) -> bytes:
        return kdn_resource("signal.xsd" if "xsd=signal" in url else "service.wsdl")


@pytest.fixture(scope="module")
def zeep_client() -> Iterator[zeep.Client]:
    transport = _PackagedWsdl()
    client = zeep.Client(
        "http://commission.test/soap?wsdl",
        transport=transport,
        settings=zeep.Settings(strict=True, forbid_dtd=True, forbid_entities=True),
    )
    yield client
    transport.session.close()


def _zeep_request(client: zeep.Client, operation: Operation, record: Mapping[str, Any]) -> str:
    service = client.create_service(BINDING, "http://commission.test/soap")
    envelope = client.create_message(service, operation.name, **record)
    return _c14n(etree.tostring(envelope))


def _ours(operation: Operation, record: Mapping[str, Any]) -> str:
    return _c14n(request_body(operation, record))


def _c14n(document: bytes) -> str:
    return etree.canonicalize(etree.ElementTree(etree.fromstring(document)))


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("referral_received", "signal"),
        ("document_survey", "document"),
        ("document_consent", "document"),
        ("document_plan", "document"),
        ("document_closure", "document"),
        ("document_report", "document"),
    ],
)
def test_each_golden_record_is_sent_as_zeep_would_send_it(
    zeep_client: zeep.Client, name: str, kind: str
) -> None:
    record = golden.native("kdn", name)
    operation = OPERATIONS[kind]

    assert _ours(operation, record) == _zeep_request(zeep_client, operation, record)


def test_the_soap_action_is_the_wsdls_quoted_as_zeep_sends_it(zeep_client: zeep.Client) -> None:
    binding = zeep_client.wsdl.bindings[BINDING]
    for operation in OPERATIONS.values():
        assert operation.soap_action == f'"{binding.get(operation.name).soapaction}"'


officials = st.fixed_dictionaries(
    {"LastName": names, "FirstName": names},
    optional={"MiddleName": names, "Position": texts, "Phone": phones},
)
minors = st.fixed_dictionaries(
    {"LastName": names, "FirstName": names, "BirthDate": birth_dates},
    optional={"MiddleName": names},
)
parents = st.fixed_dictionaries(
    {
        "LastName": names,
        "FirstName": names,
        "BirthDate": birth_dates,
        "Kinship": st.sampled_from(["мать", "отец", "опекун", "иной член семьи"]),
    },
    optional={"MiddleName": names},
)
families = st.lists(minors, min_size=1, max_size=4).flatmap(
    lambda children: st.fixed_dictionaries(
        {
            "Surname": names,
            "Address": texts,
            "ChildrenCount": st.just(len(children)),
            "Children": st.just({"Child": children}),
        },
        optional={
            "Parents": st.lists(parents, min_size=1, max_size=3).map(lambda p: {"Parent": p})
        },
    )
)
signals = st.fixed_dictionaries(
    {
        "HubMessageId": uuids,
        "SignalNumber": texts,
        "SourceAgency": st.sampled_from(["police", "social", "health", "education"]),
        "SourceOrganisation": texts,
        "Reporter": officials,
        "DetectedAt": moments,
        "SentAt": moments,
        "Urgent": st.booleans(),
        "Family": families,
        "Grounds": st.lists(
            st.sampled_from(["малоимущность", "конфликт в семье", "иное"]),
            min_size=1,
            max_size=3,
        ).map(lambda grounds: {"Ground": grounds}),
        "Circumstances": texts,
    },
    optional={"CaseRef": texts},
)


@settings(max_examples=40, deadline=None)
@given(signals, st.randoms(use_true_random=False))
def test_any_signal_is_sent_as_zeep_would_send_it_in_whatever_order_its_fields_come(
    zeep_client: zeep.Client, record: dict[str, Any], random: Any
) -> None:
    fields = list(record.items())
    random.shuffle(fields)
    shuffled = dict(fields)
    operation = OPERATIONS["signal"]

    assert _ours(operation, shuffled) == _zeep_request(zeep_client, operation, record)


def test_a_record_outside_the_registers_directory_is_rejected_naming_only_the_element() -> None:
    record = {**golden.native("kdn", "document_survey"), "RiskLevel": "огромный"}

    with pytest.raises(PartnerRejected) as caught:
        request_body(OPERATIONS["document"], record)

    assert "/ns0:Document/ns0:RiskLevel" in str(caught.value)
    assert "огромный" not in str(caught.value)


def test_a_record_missing_a_required_field_is_rejected() -> None:
    record = dict(golden.native("kdn", "referral_received"))
    del record["Circumstances"]

    with pytest.raises(PartnerRejected, match="schema"):
        request_body(OPERATIONS["signal"], record)


def test_a_field_the_schema_has_not_is_a_bug_not_a_rejection() -> None:
    record = {**golden.native("kdn", "referral_received"), "Comment": "x"}

    with pytest.raises(TypeError, match="Comment"):
        request_body(OPERATIONS["signal"], record)


def _answer(child: etree._Element) -> bytes:
    return etree.tostring(soap_envelope(child), xml_declaration=True, encoding="utf-8")


def _ack(tag: str, number: str) -> bytes:
    ack = etree.Element(f"{{{SIGNAL_NS}}}{tag}")
    etree.SubElement(ack, f"{{{SIGNAL_NS}}}RegistrationNumber").text = number
    etree.SubElement(ack, f"{{{SIGNAL_NS}}}Duplicate").text = "false"
    return _answer(ack)


def _fault(code: str, text: str) -> bytes:
    fault = etree.Element(f"{{{SOAP_ENV_NS}}}Fault")
    etree.SubElement(fault, "faultcode").text = code
    etree.SubElement(fault, "faultstring").text = text
    return _answer(fault)


def test_an_acknowledgement_gives_the_registration_number() -> None:
    assert read_answer(OPERATIONS["signal"], 200, _ack("SignalAck", "КДН-7")) == "КДН-7"
    assert read_answer(OPERATIONS["document"], 200, _ack("DocumentAck", "КДН-Д-7")) == "КДН-Д-7"


@pytest.mark.parametrize(
    ("status", "content", "error", "text"),
    [
        (500, _fault("soap:Client", "no child under 18"), PartnerRejected, "no child under 18"),
        (500, _fault("soap:Server", "down"), PartnerUnavailable, "commission fault Server"),
        (200, _fault("Server", "down"), PartnerUnavailable, "commission fault Server"),
        (500, _answer(etree.Element("other")), PartnerUnavailable, "commission fault unknown"),
        (503, b"", PartnerUnavailable, "commission answered HTTP 503"),
        (502, b"<html>bad gateway", PartnerUnavailable, "commission answered HTTP 502"),
        (200, _ack("DocumentAck", "КДН-Д-7"), PartnerUnavailable, "without a number"),
    ],
)
def test_faults_and_broken_answers_map_onto_the_contract(
    status: int, content: bytes, error: type[Exception], text: str
) -> None:
    with pytest.raises(error, match=text):
        read_answer(OPERATIONS["signal"], status, content)
