"""Build the ingest pipeline from Settings: keys, trust store and rules loaded once."""

from collections.abc import Callable
from datetime import datetime

from cryptography import x509
from sqlalchemy.orm import Session, sessionmaker

from hub.config import Settings
from hub.ingest.certificates import RegisteredCertificates
from hub.ingest.inspect import Inspector
from hub.ingest.pipeline import Freshness, Ingestor, OnCommitted
from hub.regions import RegionRules, load_regions
from hub.routing import RoutingRules, load_rules
from schemas import ParseLimits
from signing import (
    HUB_SYSTEM_CODE,
    DevPki,
    ReloadingSigner,
    TrustStore,
    VerifyPolicy,
    XmlSigner,
    XmlVerifier,
    provider_of,
)


def build_ingestor(
    settings: Settings,
    session_factory: sessionmaker[Session],
    *,
    clock: Callable[[], datetime],
    on_committed: OnCommitted,
    rules: RoutingRules | None = None,
    regions: RegionRules | None = None,
) -> Ingestor:
    """The ingest pipeline with keys, trust store and rules loaded once.

    ``rules`` and ``regions`` are loaded from ``settings`` unless the caller has them.
    """
    pki = open_pki(settings)
    rules = rules or load_rules(settings.routing_rules)
    return Ingestor(
        session_factory=session_factory,
        inspector=build_inspector(settings, pki),
        hub_signer=hub_signer(settings, pki),
        rules=rules,
        regions=regions or load_regions(settings.regions_dir, rules),
        freshness=Freshness(
            max_age_s=settings.max_message_age_s, max_future_skew_s=settings.max_future_skew_s
        ),
        certificates=RegisteredCertificates(ttl_s=settings.credential_recheck_s),
        clock=clock,
        on_committed=on_committed,
        max_group=settings.ingest_group_max,
    )


def open_pki(settings: Settings) -> DevPki:
    """The PKI under the data folder.

    Raises:
        FileNotFoundError: it was never created (run ``hub pki init``).
    """
    pki = DevPki(settings.pki_dir)
    if not pki.exists:
        raise FileNotFoundError(f"no PKI under {settings.pki_dir}; run `hub pki init`")
    return pki


def hub_signer(settings: Settings, pki: DevPki) -> ReloadingSigner:
    """The hub's signer; it follows ``hub pki rotate-hub-key`` without a restart, looking
    at the key files as often as at the CRL (``crl_recheck_s``)."""
    credentials = pki.credentials(HUB_SYSTEM_CODE)
    require_accepted_algorithm(
        settings, x509.load_pem_x509_certificate(credentials.cert_path.read_bytes())
    )
    return ReloadingSigner(
        credentials.key_path,
        credentials.cert_path,
        make_signer=XmlSigner,
        recheck_s=settings.crl_recheck_s,
    )


def signature_providers(settings: Settings) -> list[str]:
    """The provider families named in ``HUB_SIGNATURE_PROVIDERS``."""
    return [name.strip() for name in settings.signature_providers.split(",") if name.strip()]


def verify_policy(settings: Settings) -> VerifyPolicy:
    """What the hub's verifiers accept: exactly the configured provider families.

    Raises:
        ValueError: an unknown family name (the message lists the known ones).
    """
    return VerifyPolicy.for_providers(signature_providers(settings))


def require_accepted_algorithm(settings: Settings, certificate: x509.Certificate) -> None:
    """Refuse to start a hub whose own key is of a family it does not accept from others.

    Raises:
        ValueError: the key's family is not in ``HUB_SIGNATURE_PROVIDERS``.
    """
    family = provider_of(certificate)
    if family not in signature_providers(settings):
        raise ValueError(
            f"the hub's key is {family} but HUB_SIGNATURE_PROVIDERS is "
            f"{settings.signature_providers!r}; add {family} or issue the hub a key of those"
        )


def parse_limits(settings: Settings) -> ParseLimits:
    """The size and shape bounds every inbound message is parsed under (also published in
    the contract's ``limits.json``)."""
    return ParseLimits(max_bytes=settings.max_message_bytes)


def build_inspector(settings: Settings, pki: DevPki) -> Inspector:
    """The database-free checks, with the trust store loaded once."""
    trust = TrustStore.load(pki.root, crl_recheck_s=settings.crl_recheck_s)
    return Inspector(XmlVerifier(trust, verify_policy(settings)), parse_limits(settings))
