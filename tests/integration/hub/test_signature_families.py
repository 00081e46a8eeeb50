"""Signature families at the HTTP edge of a real hub: RSA-only, GOST-only and mixed regions.

Each hub runs on SQLite and Redis with its own PKI: RSA (the run's), GOST 256, or a GOST CA
that also certifies an RSA partner (a mixed region, ``HUB_SIGNATURE_PROVIDERS=rsa,gost256``).
A message of the wrong family is refused with its own ``signature.*`` code as problem+json,
recorded in the rejection log, and nothing of it is stored as accepted.
"""

import base64
import hashlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree
from sqlalchemy import func, select

from hub.config import Settings
from hub.store import MessageLog, Rejection
from schemas import parse_xml, read_header
from signing import DevPki, KeyAlgorithm, XmlSigner
from signing.gost import GOST_256, GOST_512
from signing.policy import DIGEST_SHA256, RSA_SHA256
from tests.conftest import make_dev_pki
from tests.databases import SqliteTemplate
from tests.factories import Signers, make_envelope
from tests.integration.hub.api_helpers import assert_problem, post_message
from tests.stack import RunningHub, fast_settings, running_hub

DS = "{http://www.w3.org/2000/09/xmldsig#}"
#: The partners whose inboxes the mixed region's test reads itself.
PULLING = ("police", "social", "kdn")


@pytest.fixture
def database_url(data_dir: Path, sqlite_template: SqliteTemplate) -> str:
    return sqlite_template.copy_to(data_dir / "hub.db")


def _start(
    data_dir: Path, database_url: str, redis_url: str, providers: str, **keys: KeyAlgorithm
) -> Iterator[RunningHub]:
    """A GOST-CA hub accepting ``providers``, its partners pulling, ``keys`` not GOST 256."""
    settings: Settings = fast_settings(data_dir, database_url, redis_url).model_copy(
        update={"signature_providers": providers}
    )
    pki = make_dev_pki(settings.pki_dir, "gost", {})
    with running_hub(
        settings, pki, worker=False, simulators=False, pull=PULLING, key_algorithms=keys
    ) as running:
        yield running


@pytest.fixture
def gost_hub(data_dir: Path, database_url: str, redis_url: str) -> Iterator[RunningHub]:
    """A GOST-only region (gost256) whose police was issued a 512-bit key."""
    yield from _start(data_dir, database_url, redis_url, "gost256", police="gost512")


@pytest.fixture
def mixed_hub(data_dir: Path, database_url: str, redis_url: str) -> Iterator[RunningHub]:
    """A mixed region (rsa,gost256): a GOST hub and CA, social on RSA, the others on GOST."""
    yield from _start(data_dir, database_url, redis_url, "rsa,gost256", social="rsa")


def _post(hub: RunningHub, raw: bytes, sender: str) -> httpx.Response:
    with httpx.Client(base_url=hub.url, timeout=10) as http:
        return post_message(http, raw, hub.api_keys[sender])


def _assert_refused(hub: RunningHub, response: httpx.Response, raw: bytes, code: str) -> None:
    """Refused with ``code`` as problem+json, in the rejection log, nothing accepted."""
    assert_problem(response, 400, code)
    with hub.runtime.session_factory() as session:
        rejections = session.execute(select(Rejection.code, Rejection.sha256)).all()
        accepted = session.scalar(select(func.count()).select_from(MessageLog))
    assert [tuple(row) for row in rejections] == [(code, hashlib.sha256(raw).hexdigest())]
    assert accepted == 0


def _relabelled(raw: bytes, signature_method: str, digest_method: str) -> bytes:
    """``raw`` with SignedInfo naming other methods, not re-signed."""
    root = parse_xml(raw)
    for path, algorithm in (
        (f"{DS}Signature/{DS}SignedInfo/{DS}SignatureMethod", signature_method),
        (f"{DS}Signature/{DS}SignedInfo/{DS}Reference/{DS}DigestMethod", digest_method),
    ):
        found = root.find(path)
        assert found is not None
        found.set("Algorithm", algorithm)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _with_certificate(raw: bytes, certificate_der: bytes) -> bytes:
    root = parse_xml(raw)
    found = root.find(f"{DS}Signature/{DS}KeyInfo/{DS}X509Data/{DS}X509Certificate")
    assert found is not None
    found.text = base64.b64encode(certificate_der).decode("ascii")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


# --- one family only -------------------------------------------------------------------------


def test_a_gost_signature_in_an_rsa_only_region_is_algorithm_not_allowed(
    hub_api: RunningHub, tmp_path: Path
) -> None:
    # Given the police's message signed with a GOST key, in a region configured rsa
    gost = make_dev_pki(tmp_path / "gost-pki", "gost", {"police": ("ОМВД России", None)})
    raw = XmlSigner(gost.signing_key("police")).sign(make_envelope(sender="police"))
    assert GOST_256.signature_method.encode() in raw
    # Then it is refused for its algorithm, before its certificate is looked at
    response = _post(hub_api, raw, "police")
    _assert_refused(hub_api, response, raw, "signature.algorithm_not_allowed")


def test_a_512_bit_key_where_only_256_is_allowed_is_key_size_not_allowed(
    gost_hub: RunningHub,
) -> None:
    # Given a police certificate of the region's own CA with a 512-bit key
    pki = DevPki(gost_hub.settings.pki_dir)
    raw = Signers(pki).sign(make_envelope(sender="police"))
    assert GOST_512.signature_method.encode() in raw
    response = _post(gost_hub, raw, "police")
    _assert_refused(gost_hub, response, raw, "signature.key_size_not_allowed")


# --- a mixed region ------------------------------------------------------------------------


def test_a_gost_signature_with_an_rsa_certificate_is_certificate_not_gost(
    mixed_hub: RunningHub,
) -> None:
    # Given social's message GOST-signed by kdn's key, carrying social's trusted RSA certificate
    pki = DevPki(mixed_hub.settings.pki_dir)
    social = pki.signing_key("social").certificate
    signed = XmlSigner(pki.signing_key("kdn")).sign(make_envelope(sender="social"))
    raw = _with_certificate(signed, social.public_bytes(Encoding.DER))
    response = _post(mixed_hub, raw, "social")
    _assert_refused(mixed_hub, response, raw, "signature.certificate_not_gost")


def test_an_rsa_signature_method_over_a_gost_key_is_algorithm_mismatch(
    mixed_hub: RunningHub,
) -> None:
    # Given police's GOST-signed message relabelled rsa-sha256 over SHA-256, both accepted here
    pki = DevPki(mixed_hub.settings.pki_dir)
    signed = Signers(pki).sign(make_envelope(sender="police"))
    raw = _relabelled(signed, RSA_SHA256, DIGEST_SHA256)
    response = _post(mixed_hub, raw, "police")
    _assert_refused(mixed_hub, response, raw, "signature.algorithm_mismatch")


def test_a_mixed_region_accepts_both_families_and_delivers_to_both(
    mixed_hub: RunningHub,
) -> None:
    with (
        mixed_hub.client("police") as police,
        mixed_hub.client("social") as social,
        mixed_hub.client("kdn") as kdn,
    ):
        # Given police on GOST and social on RSA, each sending with its own client and key
        referral = make_envelope(sender="police")
        referral_id = read_header(referral).message_id
        sent = police.send(referral)
        answer = make_envelope("ReferralReceipt", sender="social", correlation_id=referral_id)
        answered = social.send(answer)

        # Then both are accepted and stored as signed, each in its own family
        assert {d.recipient for d in sent.deliveries} == {"social", "kdn"}
        assert [d.recipient for d in answered.deliveries] == ["police"]
        with mixed_hub.runtime.session_factory() as session:
            rows = session.execute(select(MessageLog.sender, MessageLog.raw)).all()
        stored = {sender: raw for sender, raw in rows}
        assert GOST_256.signature_method.encode() in stored["police"]
        assert RSA_SHA256.encode() in stored["social"]

        # And each partner, RSA or GOST, verifies the hub's GOST-signed copy (ANY_PROVIDER)
        inboxes = {client.system_code: client.poll_inbox() for client in (police, social, kdn)}
    assert {
        name: [(item.message_type, item.problem) for item in items]
        for name, items in inboxes.items()
    } == {
        "police": [("ReferralReceipt", None)],
        "social": [("FamilyReferral", None)],
        "kdn": [("FamilyReferral", None)],
    }
    copy = inboxes["social"][0].envelope
    assert copy is not None
    assert read_header(copy).message_id == referral_id
