"""Fixtures for the signing tests: real dev PKIs, real keys, every provider family.

The PKIs are built once per session (key generation is the slow part); tests that revoke or
re-issue use their own system codes so they cannot disturb each other.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pytest
from lxml import etree

from signing import (
    Crypto,
    DevPki,
    KeyAlgorithm,
    Signer,
    SigningKey,
    TrustStore,
    Verifier,
    VerifyPolicy,
    XmlSigner,
    XmlVerifier,
)
from tests.conftest import make_dev_pki


@dataclass(frozen=True)
class ProviderSpec:
    """A provider family as a hub runs it: its PKI's crypto, partners' keys, what it accepts."""

    crypto: Crypto
    #: Each partner the PKI issues: (organisation, key algorithm); police signs the hostile cases.
    partners: Mapping[str, tuple[str, KeyAlgorithm]]
    #: ``HUB_SIGNATURE_PROVIDERS`` of a hub of this family.
    accepts: frozenset[str]


_POLICE = "ОМВД России по району"
_KDN = "Комиссия по делам несовершеннолетних"

#: Every provider family the hostile suite runs against, each with a whole PKI of its own.
PROVIDERS: dict[str, ProviderSpec] = {
    "rsa": ProviderSpec(
        "rsa", {"police": (_POLICE, "rsa"), "kdn": (_KDN, "ec")}, frozenset({"rsa"})
    ),
    "gost": ProviderSpec(
        "gost",
        {"police": (_POLICE, "gost256"), "kdn": (_KDN, "gost256")},
        frozenset({"gost256"}),
    ),
}


@dataclass(frozen=True)
class Provider:
    """One provider family under test: a trusted PKI, an untrusted one, and the hub's policy."""

    #: The CA, the hub, police and kdn.
    pki: DevPki
    #: A second, self-made CA of the same crypto that nobody trusts, issuing 'police' too.
    other_pki: DevPki
    policy: VerifyPolicy
    _signers: dict[str, Signer] = field(default_factory=dict)

    def signer(self, code: str) -> Signer:
        """The signer of ``code``'s key in ``pki``, loaded once."""
        if code not in self._signers:
            self._signers[code] = XmlSigner(self.pki.signing_key(code))
        return self._signers[code]

    def verifier(self) -> Verifier:
        """A verifier of this family's policy over ``pki``'s trust store as it is now."""
        return XmlVerifier(self.pki.trust_store(), self.policy)


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
    return make_dev_pki(tmp_path_factory.mktemp("pki"), "rsa", PROVIDERS["rsa"].partners)


@pytest.fixture(scope="session")
def other_pki(tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    """A second, self-made CA that nobody trusts, issuing a 'police' certificate too."""
    return make_dev_pki(
        tmp_path_factory.mktemp("other-pki"), "rsa", {"police": ("Самозванец", "rsa")}
    )


@pytest.fixture(scope="session")
def police_key(pki: DevPki) -> SigningKey:
    return pki.signing_key("police")


@pytest.fixture(scope="session")
def kdn_key(pki: DevPki) -> SigningKey:
    return pki.signing_key("kdn")


@pytest.fixture
def trust_store(pki: DevPki) -> TrustStore:
    return pki.trust_store()


def _provider(name: str, tmp_path_factory: pytest.TempPathFactory) -> Provider:
    spec = PROVIDERS[name]
    impostor = {"police": ("Самозванец", spec.partners["police"][1])}
    return Provider(
        pki=make_dev_pki(tmp_path_factory.mktemp(f"{name}-pki"), spec.crypto, spec.partners),
        other_pki=make_dev_pki(tmp_path_factory.mktemp(f"{name}-other-pki"), spec.crypto, impostor),
        policy=VerifyPolicy.for_providers(spec.accepts),
    )


@pytest.fixture(scope="session")
def rsa_provider(tmp_path_factory: pytest.TempPathFactory) -> Provider:
    return _provider("rsa", tmp_path_factory)


@pytest.fixture(scope="session")
def gost_provider(tmp_path_factory: pytest.TempPathFactory) -> Provider:
    return _provider("gost", tmp_path_factory)


@pytest.fixture(params=sorted(PROVIDERS))
def provider(request: pytest.FixtureRequest) -> Provider:
    """Each provider family in turn, its whole PKI swapped, not only the signer."""
    found = request.getfixturevalue(f"{request.param}_provider")
    assert isinstance(found, Provider)
    return found


@pytest.fixture
def verifier(provider: Provider) -> Verifier:
    return provider.verifier()


@pytest.fixture
def signed(provider: Provider, make_envelope: Callable[..., etree._Element]) -> etree._Element:
    """A referral from police, signed with police's key of the provider and parsed back."""
    return parse_xml(provider.signer("police").sign(make_envelope()))
