"""Build the ingest pipeline from Settings: keys, trust store and rules loaded once."""

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from hub.config import Settings
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
    XmlSigner,
    XmlVerifier,
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
        clock=clock,
        on_committed=on_committed,
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
    return ReloadingSigner(
        credentials.key_path,
        credentials.cert_path,
        make_signer=XmlSigner,
        recheck_s=settings.crl_recheck_s,
    )


def parse_limits(settings: Settings) -> ParseLimits:
    """The size and shape bounds every inbound message is parsed under (also published in
    the contract's ``limits.json``)."""
    return ParseLimits(max_bytes=settings.max_message_bytes)


def build_inspector(settings: Settings, pki: DevPki) -> Inspector:
    """The database-free checks, with the trust store loaded once."""
    trust = TrustStore.load(pki.root, crl_recheck_s=settings.crl_recheck_s)
    return Inspector(XmlVerifier(trust), parse_limits(settings))
