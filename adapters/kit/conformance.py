"""The conformance kit: checks a partner's setup against a hub, from its bundle alone.

It reads the partner's profile (``GET /api/v1/partners/me``) and the hub's public contract
(``/contract/``: the examples and ``limits.json``), then:

1. sends a fresh copy of the example of every type and version the partner may send, as
   that partner (Sender, Organisation; its own code taken out of explicit Recipients), each
   on a case of its own (a new CaseRef with the example's region prefix, so no probe meets a
   case another probe opened, nor the consent the region's rules want on a known case) and
   without the example's ConsentRef (the hub refuses one naming no consent it recorded),
   and expects 202; a type the hub routes only in answer to an earlier message (a routing.*
   refusal) is skipped with the reason;
2. sends deliberately broken copies of the first accepted message and expects each refusal
   code: tampered after signing, a foreign key, another system's Sender, stale, from the
   future, a resend, not well-formed, unsigned, a payload outside its XSD;
3. where the partner pulls, waits for the hub's answers to what it sent, checks the hub's
   signature on each and acknowledges it (only those: other messages in the inbox are left
   for the partner's own system); then sends the types skipped in 1 for want of a message
   to answer (``routing.unknown_correlation``) again, answering one it received.

Every valid message is a real message to real recipients: run it against a test hub
(``hub sandbox``), not production.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import httpx
from lxml import etree

from adapters.hub_client import HubClient, HubRefused, PartnerProfile
from adapters.kit.signing import load_signing_key, sign_envelope
from schemas import ENVELOPE_NS, parse_xml, payload_of, read_header, refresh_ids
from signing import DevPki, KeyAlgorithm, SigningKey, XmlSigner, provider_of

__all__ = ["Check", "Outcome", "Report", "run_conformance"]

Outcome = Literal["pass", "fail", "skip"]

_E = f"{{{ENVELOPE_NS}}}"
_EXAMPLE_LINK = re.compile(r'href="(examples/([A-Za-z]+)-([0-9]+\.[0-9]+)\.xml)"')
#: What the hub answers an accepted message with.
_ACCEPTED = "202"
#: The key a foreign CA gives a partner of each provider family.
_KEY_OF: dict[str, KeyAlgorithm] = {"rsa": "ec", "gost256": "gost256", "gost512": "gost512"}
#: The refusal of a type that answers an earlier message, sent with none to answer.
_NEEDS_CORRELATION = "routing.unknown_correlation"
#: How long the kit waits for one answer of the hub, in seconds: a test hub on a
#: developer's busy machine may answer slowly, and a slow answer is not a failed check.
_READ_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Check:
    """One check: what was sent, what the hub should answer, what it answered."""

    name: str
    expected: str
    got: str
    outcome: Outcome
    note: str = ""


@dataclass
class Report:
    hub: str
    partner: str
    checks: list[Check] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(check.outcome != "fail" for check in self.checks)

    def as_json(self) -> dict[str, Any]:
        return {
            "hub": self.hub,
            "partner": self.partner,
            "passed": self.passed,
            "checks": [asdict(check) for check in self.checks],
        }


@dataclass(frozen=True)
class _Contract:
    """What the kit reads of the hub's public contract."""

    examples: dict[tuple[str, str], bytes]
    limits: dict[str, int]

    @classmethod
    def fetch(cls, http: httpx.Client, hub_url: str) -> _Contract:
        base = hub_url.rstrip("/") + "/contract/"
        index = _get(http, base).text
        examples = {
            (match[2], match[3]): _get(http, base + match[1]).content
            for match in _EXAMPLE_LINK.finditer(index)
        }
        return cls(examples, json.loads(_get(http, base + "limits.json").content))


def _get(http: httpx.Client, url: str) -> httpx.Response:
    response = http.get(url)
    response.raise_for_status()
    return response


class _Partner:
    """The partner as the kit acts for it: its key, its client, what it sent."""

    def __init__(self, client: HubClient, key: SigningKey, profile: PartnerProfile) -> None:
        self.client = client
        self.key = key
        self.profile = profile
        self.sent_ids: dict[str, str] = {}  # MessageId → its type
        self.received_ids: list[str] = []  # MessageIds of the answers it acknowledged

    def adapt(self, example: bytes) -> bytes:
        """The example as this partner's unsigned message: its Sender, fresh ids, no ConsentRef."""
        envelope = parse_xml(_on_a_new_case(refresh_ids(example)))
        header = envelope[0]
        for legal_basis in header.iterfind(_E + "LegalBasis"):
            for consent_ref in legal_basis.iterfind(_E + "ConsentRef"):
                legal_basis.remove(consent_ref)
        sender = header.find(_E + "Sender")
        assert sender is not None  # the envelope XSD requires it
        sender[0].text = self.profile.code
        sender[1].text = self.profile.organisation
        recipients = header.find(_E + "Recipients")
        if recipients is not None:
            for recipient in list(recipients):
                if recipient.text == self.profile.code:
                    recipients.remove(recipient)
            if len(recipients) == 0:
                header.remove(recipients)
        return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")

    def sign(self, unsigned: bytes) -> bytes:
        return sign_envelope(unsigned, self.key)

    def post(self, signed: bytes) -> str:
        """The hub's answer, as the kit compares it: ``202``, a problem code, or ``duplicate``."""
        message_id = _message_id(signed)
        try:
            receipt = self.client.send_signed(signed, message_id)
        except HubRefused as refused:
            return refused.code
        if receipt.duplicate:
            return "replay.duplicate"
        self.sent_ids[message_id] = read_header(parse_xml(signed)).message_type
        return _ACCEPTED


def run_conformance(
    hub_url: str,
    bundle: Path,
    *,
    wait_s: float = 30.0,
    on_check: Callable[[Check], None] = lambda _check: None,
) -> Report:
    """Run every check against the hub at ``hub_url`` as the partner of ``bundle``.

    Raises:
        HubClientError: the hub cannot be reached, or refuses the bundle's API key.
        OSError, ValueError: the bundle cannot be read.
    """
    with HubClient(hub_url, bundle) as client, httpx.Client(timeout=_READ_TIMEOUT_S) as http:
        profile = client.partner_profile()
        contract = _Contract.fetch(http, hub_url)
        partner = _Partner(client, load_signing_key(bundle), profile)
        report = Report(hub_url, profile.code)

        def record(check: Check) -> None:
            report.checks.append(check)
            on_check(check)

        accepted = None
        unanswered: list[tuple[str, bytes]] = []
        for check, unsigned in _valid_sends(partner, contract):
            record(check)
            if check.outcome == "pass" and accepted is None:
                accepted = unsigned
            if check.got == _NEEDS_CORRELATION:
                unanswered.append((check.name.split(":")[0], unsigned))
        if accepted is None:
            record(Check("broken copies", "-", "-", "skip", "no message was accepted to vary"))
        else:
            for check in _broken_sends(partner, contract, accepted):
                record(check)
        if profile.delivery_mode == "pull":
            for check in _inbox_round_trip(partner, wait_s):
                record(check)
        if partner.received_ids:
            for check in _answers(partner, unanswered, partner.received_ids[0]):
                record(check)
        return report


def _valid_sends(partner: _Partner, contract: _Contract) -> Iterator[tuple[Check, bytes]]:
    for (message_type, version), example in sorted(contract.examples.items()):
        if message_type not in partner.profile.may_send:
            continue
        unsigned = partner.adapt(example)
        got = partner.post(partner.sign(unsigned))
        name = f"{message_type} {version}: valid, fresh"
        if got == _ACCEPTED:
            yield Check(name, _ACCEPTED, got, "pass"), unsigned
        elif got.startswith("routing."):
            note = "the hub routes it only in answer to an earlier message or case"
            yield Check(name, _ACCEPTED, got, "skip", note), unsigned
        else:
            yield Check(name, _ACCEPTED, got, "fail"), unsigned


def _on_a_new_case(raw: bytes) -> bytes:
    """``raw`` with a CaseRef no message has named yet, under the same region prefix."""
    envelope = parse_xml(raw)
    case_ref = envelope[0].find(_E + "CaseRef")
    if case_ref is None or not case_ref.text:
        return raw
    prefix = case_ref.text.split("-", 1)[0]
    case_ref.text = f"{prefix}-KIT-{uuid.uuid4().hex[:12].upper()}"
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def _broken_sends(partner: _Partner, contract: _Contract, base: bytes) -> Iterator[Check]:
    """Each broken copy of ``base`` (an accepted unsigned message) and the code it must get."""
    now = datetime.now(UTC).replace(microsecond=0)
    stale = now - timedelta(seconds=contract.limits["max_message_age_s"] + 3600)
    future = now + timedelta(seconds=contract.limits["max_future_skew_s"] + 600)
    base = _on_a_new_case(base)
    accepted_again = partner.sign(refresh_ids(base))
    partner.post(accepted_again)

    cases: list[tuple[str, str, bytes]] = [
        ("changed after signing", "signature.digest_mismatch", _tamper(partner.sign(base))),
        ("signed with a foreign key", "signature.untrusted", _foreign_signed(partner, base)),
        (
            "another system as Sender",
            "signature.signer_not_sender",
            XmlSigner(partner.key).sign(_with_sender(refresh_ids(base), "hub")),
        ),
        ("CreatedAt too old", "replay.stale", partner.sign(refresh_ids(base, created_at=stale))),
        (
            "CreatedAt in the future",
            "replay.future",
            partner.sign(refresh_ids(base, created_at=future)),
        ),
        ("the same bytes again", "replay.duplicate", accepted_again),
        ("not well-formed", "xml.malformed", accepted_again[: len(accepted_again) // 2]),
        ("unsigned", "signature.missing", refresh_ids(base)),
        ("payload outside its XSD", "payload.invalid", partner.sign(_invalid_payload(base))),
    ]
    for name, expected, body in cases:
        got = partner.post(body)
        yield Check(name, expected, got, "pass" if got == expected else "fail")


def _inbox_round_trip(partner: _Partner, wait_s: float) -> Iterator[Check]:
    """Wait for the hub's answers to what the kit sent; verify and acknowledge each."""
    name = "inbox: answers to the messages sent, hub-signed, acknowledged"
    deadline = time.monotonic() + wait_s
    answered = 0
    while True:
        for item in partner.client.poll_inbox(limit=100):
            if item.envelope is None:
                yield Check(name, "hub signature", item.problem or "?", "fail", item.message_type)
                continue
            correlation = read_header(item.envelope).correlation_id
            if correlation not in partner.sent_ids:
                continue  # the partner's own traffic: left for its system
            partner.client.ack(item.delivery_id)
            partner.received_ids.append(item.message_id)
            answered += 1
            note = f"{item.message_type} answering {partner.sent_ids[correlation]}"
            yield Check(name, "verified, ack", "verified, ack", "pass", note)
        if answered or time.monotonic() >= deadline:
            break
        time.sleep(1.0)
    if not answered:
        note = f"no answer within {wait_s:g} s (a receiver's system may be slow: raise --wait)"
        yield Check(name, "an answer", "none", "skip", note)


def _answers(
    partner: _Partner, unanswered: list[tuple[str, bytes]], received: str
) -> Iterator[Check]:
    """The types that need a message to answer, answering ``received``."""
    for name, unsigned in unanswered:
        got = partner.post(partner.sign(_with_correlation(unsigned, received)))
        yield Check(f"{name}: answering a received message", _ACCEPTED, got,
                    "pass" if got == _ACCEPTED else "fail")  # fmt: skip


def _with_correlation(unsigned: bytes, message_id: str) -> bytes:
    """A fresh copy of ``unsigned`` answering ``message_id``, addressed by the rules (its
    example's explicit Recipients answered another message)."""
    envelope = parse_xml(refresh_ids(unsigned))
    header = envelope[0]
    recipients = header.find(_E + "Recipients")
    if recipients is not None:
        header.remove(recipients)
    correlation = header.find(_E + "CorrelationId")
    if correlation is None:
        # The envelope XSD puts it right before LegalBasis.
        correlation = etree.Element(_E + "CorrelationId")
        legal_basis = header.find(_E + "LegalBasis")
        assert legal_basis is not None  # the envelope XSD requires it
        legal_basis.addprevious(correlation)
    correlation.text = message_id
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def _message_id(signed: bytes) -> str:
    # A broken body has no readable MessageId; the client only needs one for its receipt.
    match = re.search(rb"<MessageId>([^<]+)</MessageId>", signed)
    return match[1].decode() if match else str(uuid.uuid4())


def _tamper(signed: bytes) -> bytes:
    """``signed`` with one payload text changed, its signature left as it was."""
    envelope = parse_xml(signed)
    for element in payload_of(envelope).iter():
        if isinstance(element.tag, str) and (element.text or "").strip():
            element.text = (element.text or "") + " (изменено)"
            break
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def _with_sender(unsigned: bytes, code: str) -> etree._Element:
    envelope = parse_xml(unsigned)
    sender = envelope[0].find(_E + "Sender")
    assert sender is not None
    sender[0].text = code
    return envelope


def _invalid_payload(unsigned: bytes) -> bytes:
    envelope = parse_xml(refresh_ids(unsigned))
    payload = payload_of(envelope)
    namespace = etree.QName(payload).namespace
    etree.SubElement(payload, f"{{{namespace}}}NotInTheSchema").text = "x"
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def _foreign_signed(partner: _Partner, unsigned: bytes) -> bytes:
    """Signed with a key of the partner's own algorithm, certified by a CA the hub does not
    know, though it names the partner: a key of another algorithm would be refused for that
    (``signature.algorithm_not_allowed``) before its CA is looked at."""
    code = partner.profile.code
    family = provider_of(partner.key.certificate)
    with tempfile.TemporaryDirectory(prefix="conformance-foreign-ca-") as folder:
        foreign = DevPki(Path(folder))
        foreign.init(crypto="rsa" if family == "rsa" else "gost")
        foreign.issue(code, "Посторонний удостоверяющий центр", algorithm=_KEY_OF[family])
        key = foreign.signing_key(code)
    return XmlSigner(key).sign(parse_xml(refresh_ids(unsigned)))
