"""The trust store: which certificates may sign messages to the hub, and the verdict cache.

A certificate is trusted when a CA in the store issued it (its signature checks out), it is
within its validity period, it carries the signer key usage and a system code, and its serial
is not on that CA's CRL. Verdicts are cached per certificate fingerprint, since every message
from a partner carries the same certificate and a chain check per message is waste
(docs/performance.md, "Signing").
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from signing.errors import CertificateExpired, CertificateRevoked, CertificateUntrusted
from signing.gost.openssl import certificate_signed_by, crl_signed_by, gost_algorithm_of
from signing.identity import system_code_of
from signing.watch import FileWatch

__all__ = [
    "CA_CERT_FILE",
    "CRL_FILE",
    "DEFAULT_CRL_RECHECK_S",
    "CertificateStanding",
    "TrustCacheInfo",
    "TrustStore",
]

_log = logging.getLogger(__name__)

#: Trusted CA certificates (PEM, one or more) relative to a PKI directory.
CA_CERT_FILE = Path("ca") / "ca.pem"
#: The CA's revocation list (PEM) relative to a PKI directory.
CRL_FILE = Path("crl.pem")

#: How often a loaded trust store looks at its CRL file for a new one, in seconds.
DEFAULT_CRL_RECHECK_S = 5.0

#: Default bound on cached verdicts; one per partner certificate is the normal load.
_DEFAULT_CACHE_SIZE = 1024


class TrustCacheInfo(NamedTuple):
    """Counters of the verdict cache, in the manner of ``functools.lru_cache``."""

    hits: int
    misses: int
    maxsize: int
    currsize: int


@dataclass(frozen=True)
class CertificateStanding:
    """Where a certificate stands with the store now: who issued it and whether it is revoked.

    Not a verdict on a signature: validity period, key usage and system code are left out,
    so a certificate that stands well may still be refused by ``TrustStore.check``.
    """

    #: The CA in the store that issued (signed) the certificate; None for an unknown issuer.
    issuer: x509.Certificate | None
    #: Per the issuer's current CRL; None when the issuer is unknown or published no CRL.
    revoked: bool | None
    #: The revocation date the CRL gives (UTC), when ``revoked``.
    revoked_at: datetime | None


class TrustStore:
    """Trusted CA certificates with their CRLs, and a bounded cache of positive verdicts.

    Only verdicts that do not depend on the time are cached (issuer signature, key usage,
    system code, revocation); validity periods are checked on every call, and a cached
    certificate past its ``not_after`` is evicted. ``update_crls`` empties the cache.

    Raises:
        ValueError: a CA certificate without CA basic constraints or keyCertSign/cRLSign
            usage, or a CRL not signed by any CA in the store.
    """

    def __init__(
        self,
        ca_certificates: Sequence[x509.Certificate],
        crls: Sequence[x509.CertificateRevocationList] = (),
        *,
        cache_size: int = _DEFAULT_CACHE_SIZE,
        crl_file: Path | None = None,
        crl_recheck_s: float = DEFAULT_CRL_RECHECK_S,
    ) -> None:
        """``crl_file``: where the CRLs came from; re-read when it changes, looked at no
        more often than every ``crl_recheck_s`` seconds, so a revocation takes effect in
        a running process."""
        if not ca_certificates:
            raise ValueError("a trust store needs at least one CA certificate")
        for ca in ca_certificates:
            _require_ca_usage(ca)
        self._cas = tuple(ca_certificates)
        self._cache_size = cache_size
        self._lock = threading.Lock()
        # fingerprint -> issuing CA; the issuer is kept to re-check its validity on hits.
        self._cache: OrderedDict[bytes, x509.Certificate] = OrderedDict()
        self._hits = 0
        self._misses = 0
        self._crls = tuple(crls)
        self._revoked = self._index_crls(crls)
        self._crl_file = crl_file
        self._crl_watch = (
            FileWatch([crl_file], recheck_s=crl_recheck_s) if crl_file is not None else None
        )

    @classmethod
    def load(cls, pki_dir: Path, *, crl_recheck_s: float = DEFAULT_CRL_RECHECK_S) -> TrustStore:
        """Read the CA certificates and (if present) the CRL of a PKI directory.

        Raises:
            OSError: ``ca/ca.pem`` cannot be read.
            ValueError: malformed PEM, or see the class docstring.
        """
        cas = x509.load_pem_x509_certificates((pki_dir / CA_CERT_FILE).read_bytes())
        crl_path = pki_dir / CRL_FILE
        crls = [x509.load_pem_x509_crl(crl_path.read_bytes())] if crl_path.exists() else []
        return cls(cas, crls, crl_file=crl_path, crl_recheck_s=crl_recheck_s)

    def _reload_crl_if_changed(self) -> None:
        if self._crl_file is None or self._crl_watch is None:
            return
        versions = self._crl_watch.poll()
        if versions is None:
            return
        try:
            crls = [x509.load_pem_x509_crl(self._crl_file.read_bytes())] if versions[0] else []
            self.update_crls(crls)
        except (OSError, ValueError):
            # The CA publishes atomically, so this is a damaged file: keep the last good
            # list rather than accept everyone, and try again at the next look.
            _log.warning("CRL %s unreadable; keeping the previous one", self._crl_file)
            return
        self._crl_watch.mark_read(versions)

    def update_crls(self, crls: Sequence[x509.CertificateRevocationList]) -> None:
        """Replace the revocation lists and drop every cached verdict.

        Raises:
            ValueError: a CRL not signed by any CA in the store.
        """
        revoked = self._index_crls(crls)
        with self._lock:
            self._crls = tuple(crls)
            self._revoked = revoked
            self._cache.clear()

    @property
    def ca_certificates(self) -> tuple[x509.Certificate, ...]:
        """The trusted CA certificates, in the order given."""
        return self._cas

    @property
    def crls(self) -> tuple[x509.CertificateRevocationList, ...]:
        """The revocation lists the store holds now (as last read; see ``standing``)."""
        with self._lock:
            return self._crls

    def check(
        self,
        certificate: x509.Certificate,
        *,
        now: datetime,
        max_clock_skew: timedelta = timedelta(0),
    ) -> None:
        """Accept ``certificate`` as a message signer at ``now``, or raise why not.

        ``max_clock_skew`` widens the validity period on both sides for partner clocks.

        Raises:
            CertificateUntrusted: not issued by a CA in the store, wrong key usage or no
                system code.
            CertificateExpired: it or its CA is expired or not yet valid at ``now``.
            CertificateRevoked: its serial is on its CA's CRL.
            ValueError: ``now`` is naive.
        """
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        self._reload_crl_if_changed()
        fingerprint = certificate.fingerprint(hashes.SHA256())
        with self._lock:
            issuer = self._cache.get(fingerprint)
            if issuer is not None:
                self._cache.move_to_end(fingerprint)
                self._hits += 1
            else:
                self._misses += 1
        if issuer is not None:
            try:
                _check_validity(certificate, issuer, now=now, skew=max_clock_skew)
            except CertificateExpired:
                with self._lock:
                    self._cache.pop(fingerprint, None)
                raise
            return

        issuer = self._find_issuer(certificate)
        _require_signer_usage(certificate)
        system_code_of(certificate)
        _check_validity(certificate, issuer, now=now, skew=max_clock_skew)
        if certificate.serial_number in self._revoked.get(issuer, {}):
            raise CertificateRevoked(f"certificate serial {certificate.serial_number} is revoked")
        with self._lock:
            self._cache[fingerprint] = issuer
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    def standing(self, certificate: x509.Certificate) -> CertificateStanding:
        """Return the CA that issued ``certificate`` and whether its CRL revokes it, as of now.

        Reads a changed CRL file first, as ``check`` does. Judges nothing else: use ``check``
        to accept a signer; this answers "is it revoked now?" about a certificate that may
        have been accepted earlier.

        Raises:
            Nothing: an unknown issuer, or an issuer without a CRL, gives None for what is
                unknown; an unreadable new CRL file is logged and the last list kept.
        """
        self._reload_crl_if_changed()
        issuer = self._issuer_of(certificate)
        if issuer is None:
            return CertificateStanding(issuer=None, revoked=None, revoked_at=None)
        with self._lock:
            revoked = self._revoked.get(issuer)
        if revoked is None:
            return CertificateStanding(issuer=issuer, revoked=None, revoked_at=None)
        revoked_at = revoked.get(certificate.serial_number)
        return CertificateStanding(
            issuer=issuer, revoked=revoked_at is not None, revoked_at=revoked_at
        )

    def cache_info(self) -> TrustCacheInfo:
        """Return hit and miss counters and the size of the verdict cache."""
        with self._lock:
            return TrustCacheInfo(self._hits, self._misses, self._cache_size, len(self._cache))

    def _find_issuer(self, certificate: x509.Certificate) -> x509.Certificate:
        issuer = self._issuer_of(certificate)
        if issuer is None:
            raise CertificateUntrusted(
                f"certificate serial {certificate.serial_number} was not issued by a trusted CA"
            )
        return issuer

    def _issuer_of(self, certificate: x509.Certificate) -> x509.Certificate | None:
        for ca in self._cas:
            if ca.subject != certificate.issuer:
                continue
            if _issued_by(certificate, ca):
                return ca
            # Same name, different key: another CA may share the name, keep looking.
        return None

    def _index_crls(
        self, crls: Sequence[x509.CertificateRevocationList]
    ) -> dict[x509.Certificate, Mapping[int, datetime]]:
        """Revoked serials with their revocation dates, per CA certificate that signed the CRL.

        Keyed by the CA, not its name: two CAs may share a name, and one's CRL says nothing
        about the serials the other issued.
        """
        revoked: dict[x509.Certificate, Mapping[int, datetime]] = {}
        for crl in crls:
            signers = [
                ca for ca in self._cas if ca.subject == crl.issuer and _crl_signed_by(crl, ca)
            ]
            # An unsigned or foreign CRL could un-revoke nothing but could revoke everything;
            # refuse it as a configuration error rather than trust it.
            if not signers:
                raise ValueError("a CRL is not signed by any CA in the trust store")
            dates = {entry.serial_number: entry.revocation_date_utc for entry in crl}
            for ca in signers:
                revoked[ca] = {**revoked.get(ca, {}), **dates}
        return revoked


def _check_validity(
    certificate: x509.Certificate, issuer: x509.Certificate, *, now: datetime, skew: timedelta
) -> None:
    for cert, what in ((certificate, "certificate"), (issuer, "issuing CA certificate")):
        if not cert.not_valid_before_utc - skew <= now <= cert.not_valid_after_utc + skew:
            raise CertificateExpired(
                f"{what} serial {cert.serial_number} is not valid at {now.isoformat()}"
            )


def _key_usage(certificate: x509.Certificate) -> x509.KeyUsage | None:
    try:
        return certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return None


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        return certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def _require_signer_usage(certificate: x509.Certificate) -> None:
    usage = _key_usage(certificate)
    # A CA key signing messages directly would bypass the per-system binding.
    if (
        _is_ca(certificate)
        or usage is None
        or not (usage.digital_signature and usage.content_commitment)
    ):
        raise CertificateUntrusted(
            f"certificate serial {certificate.serial_number} lacks the message-signer key usage"
        )


def _issued_by(certificate: x509.Certificate, ca: x509.Certificate) -> bool:
    if gost_algorithm_of(ca) is not None:
        return certificate_signed_by(certificate, ca)
    try:
        certificate.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def _crl_signed_by(crl: x509.CertificateRevocationList, ca: x509.Certificate) -> bool:
    if gost_algorithm_of(ca) is not None:
        return crl_signed_by(crl, ca)
    return crl.is_signature_valid(_ca_public_key(ca))


def _ca_public_key(ca: x509.Certificate) -> rsa.RSAPublicKey | ec.EllipticCurvePublicKey:
    key = ca.public_key()
    if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        raise ValueError(
            f"CA certificate serial {ca.serial_number} must have an RSA, EC or GOST key"
        )
    return key


def _require_ca_usage(ca: x509.Certificate) -> None:
    if gost_algorithm_of(ca) is None:
        _ca_public_key(ca)
    usage = _key_usage(ca)
    if not _is_ca(ca) or usage is None or not (usage.key_cert_sign and usage.crl_sign):
        raise ValueError(
            f"CA certificate serial {ca.serial_number} needs basicConstraints ca=True, "
            "keyCertSign and cRLSign"
        )
