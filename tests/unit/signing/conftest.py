"""Fixtures for the signing tests: a real dev PKI, real keys, every provider.

The PKI is built once per session (RSA key generation is the slow part); tests that revoke or
re-issue use their own system codes so they cannot disturb each other.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from lxml import etree

from signing import DevPki, Signer, SigningKey, TrustStore, Verifier, XmlSigner, XmlVerifier

#: Every provider the hostile suite runs against: (signer factory, verifier factory).
PROVIDERS: dict[str, tuple[Callable[[SigningKey], Signer], Callable[[TrustStore], Verifier]]] = {
    "signxml": (XmlSigner, XmlVerifier),
}

_ENVELOPE = """<Envelope xmlns="urn:family-hub:envelope:1">
  <Header><MessageId>6f1c1a52-3c1e-4e7a-9a57-2f1d6a0c7b11</MessageId>
    <MessageType>FamilyReferral</MessageType><SchemaVersion>1.0</SchemaVersion>
    <Sender><System>{sender}</System><Organisation>ОМВД России по району</Organisation></Sender>
    <CreatedAt>2026-11-24T10:00:00+12:00</CreatedAt><Priority>urgent</Priority>
    <LegalBasis><Law>120-ФЗ</Law></LegalBasis></Header>
  <Body><FamilyReferral xmlns="urn:family-hub:msg:FamilyReferral:1">
    <Child><FullName>Иванов Иван Иванович</FullName><BirthDate>2015-03-01</BirthDate></Child>
    <Reason>Семья в социально опасном положении</Reason>
  </FamilyReferral></Body>
</Envelope>"""

# The project's safe parser lives in schemas/; signing may not import it, so tests use the
# same settings here.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def parse_xml(data: bytes | str) -> etree._Element:
    """Parse test XML with safe settings."""
    raw = data.encode() if isinstance(data, str) else data
    return etree.fromstring(raw, _PARSER)


@pytest.fixture(scope="session")
def parse() -> Callable[[bytes | str], etree._Element]:
    return parse_xml


@pytest.fixture(scope="session")
def make_envelope() -> Callable[..., etree._Element]:
    """Build an unsigned FamilyReferral envelope from ``sender``."""

    def make(sender: str = "police") -> etree._Element:
        return parse_xml(_ENVELOPE.format(sender=sender))

    return make


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    pki = DevPki(tmp_path_factory.mktemp("pki"))
    pki.init()
    pki.issue("police", "ОМВД России по району", algorithm="rsa")
    pki.issue("kdn", "Комиссия по делам несовершеннолетних", algorithm="ec")
    return pki


@pytest.fixture(scope="session")
def other_pki(tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    """A second, self-made CA that nobody trusts, issuing a 'police' certificate too."""
    pki = DevPki(tmp_path_factory.mktemp("other-pki"))
    pki.init()
    pki.issue("police", "Самозванец")
    return pki


@pytest.fixture(scope="session")
def police_key(pki: DevPki) -> SigningKey:
    return pki.signing_key("police")


@pytest.fixture(scope="session")
def kdn_key(pki: DevPki) -> SigningKey:
    return pki.signing_key("kdn")


@pytest.fixture
def trust_store(pki: DevPki) -> TrustStore:
    return pki.trust_store()


@pytest.fixture(params=sorted(PROVIDERS))
def provider(
    request: pytest.FixtureRequest,
) -> tuple[Callable[[SigningKey], Signer], Callable[[TrustStore], Verifier]]:
    return PROVIDERS[request.param]


@pytest.fixture
def make_signer(
    provider: tuple[Callable[[SigningKey], Signer], Callable[[TrustStore], Verifier]],
) -> Callable[[SigningKey], Signer]:
    return provider[0]


@pytest.fixture
def verifier(
    provider: tuple[Callable[[SigningKey], Signer], Callable[[TrustStore], Verifier]],
    trust_store: TrustStore,
) -> Verifier:
    return provider[1](trust_store)


@pytest.fixture
def police_signer(make_signer: Callable[[SigningKey], Signer], police_key: SigningKey) -> Signer:
    return make_signer(police_key)


@pytest.fixture
def signed(police_signer: Signer, make_envelope: Callable[..., etree._Element]) -> etree._Element:
    """A referral from police, signed with police's RSA key and parsed back."""
    return parse_xml(police_signer.sign(make_envelope()))
