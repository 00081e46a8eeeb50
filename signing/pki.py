"""A development PKI on disk: the hub's CA, per-system keys and certificates, and the CRL.

Used by tests, demos and local setups so that every signature in the project is real; a
production deployment gets its certificates from the region's CA instead. Layout under
``root`` (e.g. ``$HUB_DATA_DIR/pki``)::

    ca/ca.pem  ca/ca.key (0600)  crl.pem  systems/<code>/cert.pem  systems/<code>/key.pem (0600)
    systems/hub/retired/<serial hex>.pem   the hub's certificates before a key rotation

The PKI's crypto is that of its CA's key: "rsa" (an ECDSA P-256 CA issuing RSA or ECDSA keys,
signed with pyca/cryptography) or "gost" (a GOST R 34.10-2012 256-bit CA issuing GOST keys,
everything signed with GOST through the ``openssl`` command: ``signing.gost.dev_ca``). A GOST
CA also certifies RSA and ECDSA keys, for a mixed region (``HUB_SIGNATURE_PROVIDERS=rsa,gost256``)
whose trust store then holds one CA and one CRL for partners of both families.

Private keys are stored unencrypted, which is acceptable only for development.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from signing.gost import GOST_256, GOST_512, dev_ca, gost_algorithm_of
from signing.identity import SYSTEM_URI_PREFIX, is_system_code
from signing.keys import PrivateKey, SigningKey
from signing.trust import CA_CERT_FILE, CRL_FILE, TrustStore

__all__ = ["HUB_SYSTEM_CODE", "Crypto", "DevPki", "KeyAlgorithm", "SystemCredentials"]

#: A PKI's family of algorithms, decided by its CA's key.
Crypto = Literal["rsa", "gost"]
#: What a system's key can be; "gost512" exists to test a 512-bit key where 256 is allowed.
KeyAlgorithm = Literal["rsa", "ec", "gost256", "gost512"]

#: The hub's own system code; its key signs outbound messages.
HUB_SYSTEM_CODE = "hub"

_HUB_ORGANISATION = "Региональный узел межведомственного обмена"
_CA_KEY_FILE = Path("ca") / "ca.key"
_CA_VALIDITY = timedelta(days=3650)
#: The dev CRL's nextUpdate; verifiers do not enforce it (see TrustStore).
_CRL_VALIDITY = timedelta(days=30)
#: Certificates start slightly in the past so a partner with a slow clock accepts them at once.
_BACKDATE = timedelta(minutes=5)
_RSA_BITS = 2048
_CA_NAME = "Family Hub Dev CA"
_GOST_KEYS = {"gost256": GOST_256, "gost512": GOST_512}
#: The key a system gets under each crypto unless ``issue`` is told otherwise.
_DEFAULT_ALGORITHM: dict[Crypto, KeyAlgorithm] = {"rsa": "rsa", "gost": "gost256"}


@dataclass(frozen=True)
class SystemCredentials:
    """Where a system's freshly issued key and certificate were written."""

    system_code: str
    key_path: Path
    cert_path: Path


class DevPki:
    """The development PKI rooted at ``root``; see the module docstring for the layout."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def exists(self) -> bool:
        """Whether the CA certificate and key are present."""
        return (self.root / CA_CERT_FILE).exists() and (self.root / _CA_KEY_FILE).exists()

    @property
    def ca_certificate_path(self) -> Path:
        """The CA certificate: what partners need to verify the hub's signatures."""
        return self.root / CA_CERT_FILE

    @property
    def crypto(self) -> Crypto:
        """The PKI's crypto, read from its CA certificate: "gost" for a GOST key, else "rsa".

        Raises:
            FileNotFoundError: the PKI is not initialised (call ``init()`` first).
        """
        return "gost" if gost_algorithm_of(self._load_ca_certificate()) else "rsa"

    def init(self, crypto: Crypto = "rsa") -> None:
        """Create whatever is missing: the CA, the hub's key and certificate, an empty CRL.

        Idempotent; existing keys are never overwritten.

        Raises:
            FileExistsError: ``ca/ca.key`` exists without ``ca/ca.pem`` (repair by hand), or
                the PKI exists with another crypto.
            GostUnavailable: ``crypto="gost"`` and no ``openssl`` with the GOST engine.
        """
        if not (self.root / _CA_KEY_FILE).exists():
            self._create_ca(crypto)
        elif not (self.root / CA_CERT_FILE).exists():
            raise FileExistsError(f"{self.root / _CA_KEY_FILE} exists but ca.pem is missing")
        elif self.crypto != crypto:
            raise FileExistsError(
                f"the PKI under {self.root} is {self.crypto}, not {crypto}; use another folder"
            )
        if not self._system_dir(HUB_SYSTEM_CODE).joinpath("key.pem").exists():
            self.issue(HUB_SYSTEM_CODE, _HUB_ORGANISATION)
        if not (self.root / CRL_FILE).exists():
            self._write_crl(revoked=[], number=1)

    def issue(
        self,
        system_code: str,
        organisation: str,
        *,
        algorithm: KeyAlgorithm | None = None,
        valid_days: int = 365,
        not_before: datetime | None = None,
    ) -> SystemCredentials:
        """Issue a signing key and certificate for ``system_code``, replacing any previous one.

        The certificate has CN=<code>, O=<organisation>, the SAN URI
        ``urn:family-hub:system:<code>`` and key usage digitalSignature + nonRepudiation.
        The key is ``algorithm``'s, by default RSA under an "rsa" CA and GOST 256 under a
        "gost" one. A "gost" CA certifies every algorithm (a mixed region's partners); an
        "rsa" CA no GOST key, which pyca/cryptography cannot sign for.

        Raises:
            ValueError: a malformed system code, a non-positive ``valid_days``, or a GOST
                ``algorithm`` under an "rsa" CA.
            FileNotFoundError: the PKI is not initialised (call ``init()`` first).
            GostUnavailable: a GOST PKI and no ``openssl`` with the GOST engine.
        """
        credentials = self.credentials(system_code)
        if valid_days <= 0:
            raise ValueError("valid_days must be positive")
        crypto = self.crypto
        chosen = algorithm or _DEFAULT_ALGORITHM[crypto]
        if chosen in _GOST_KEYS and crypto != "gost":
            raise ValueError(f"this PKI is {crypto}: it does not issue {chosen} keys")
        start = not_before if not_before is not None else datetime.now(UTC) - _BACKDATE
        credentials.key_path.parent.mkdir(parents=True, exist_ok=True)
        if crypto == "gost":
            key_pem = (
                dev_ca.generate_key(_GOST_KEYS[chosen])
                if chosen in _GOST_KEYS
                else _private_pem(_new_key(chosen))
            )
            self._issue_gost(credentials, organisation, key_pem, start, valid_days)
            return credentials
        ca_key, ca_cert = self._load_ca()
        key = _new_key(chosen)
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, system_code),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            ]
        )
        certificate = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + timedelta(days=valid_days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(signer=True), critical=True)
            .add_extension(
                x509.SubjectAlternativeName(
                    [x509.UniformResourceIdentifier(SYSTEM_URI_PREFIX + system_code)]
                ),
                critical=False,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
            )
            .sign(ca_key, hashes.SHA256())
        )
        _write_credentials(
            credentials, _private_pem(key), certificate.public_bytes(serialization.Encoding.PEM)
        )
        return credentials

    def credentials(self, system_code: str) -> SystemCredentials:
        """Where the system's current key and certificate are (they may not exist yet)."""
        directory = self._system_dir(system_code)
        return SystemCredentials(system_code, directory / "key.pem", directory / "cert.pem")

    def signing_key(self, system_code: str) -> SigningKey:
        """Load the system's key and certificate (once; keep the returned object).

        Raises:
            FileNotFoundError: no credentials were issued for ``system_code``.
        """
        credentials = self.credentials(system_code)
        return SigningKey.load(credentials.key_path, credentials.cert_path)

    def rotate_hub_key(self) -> SystemCredentials:
        """Issue the hub a new key and certificate; the old certificate is kept.

        The old one goes to ``systems/hub/retired/<serial hex>.pem``: copies signed with
        it stay verifiable (it chains to the same CA and is not revoked), and this file
        names it should anyone need it. A running hub signs with the new key once its
        ``ReloadingSigner`` looks at the files again.

        Raises:
            FileNotFoundError: the PKI is not initialised (call ``init()`` first).
        """
        current = self.credentials(HUB_SYSTEM_CODE).cert_path
        certificate = x509.load_pem_x509_certificate(current.read_bytes())
        retired = current.parent / "retired"
        retired.mkdir(exist_ok=True)
        _write_file(
            retired / f"{certificate.serial_number:x}.pem", current.read_bytes(), mode=0o644
        )
        return self.issue(HUB_SYSTEM_CODE, _HUB_ORGANISATION)

    def revoke(self, system_code: str) -> None:
        """Revoke the system's current certificate: see ``revoke_serial``.

        Raises:
            FileNotFoundError: no certificate was issued for ``system_code`` or no CRL exists.
        """
        certificate = x509.load_pem_x509_certificate(
            self.credentials(system_code).cert_path.read_bytes()
        )
        self.revoke_serial(certificate.serial_number)

    def revoke_serial(self, serial_number: int) -> None:
        """Add a certificate serial of this CA to the CRL and re-sign ``crl.pem`` (idempotent).

        Verifiers that re-read the CRL (``TrustStore``) refuse the certificate from then on.

        Raises:
            FileNotFoundError: no CA or no CRL (call ``init()`` first).
        """
        crl = x509.load_pem_x509_crl((self.root / CRL_FILE).read_bytes())
        revoked = list(crl)
        if crl.get_revoked_certificate_by_serial_number(serial_number) is None:
            revoked.append(
                x509.RevokedCertificateBuilder()
                .serial_number(serial_number)
                .revocation_date(datetime.now(UTC))
                .build()
            )
        number = crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
        self._write_crl(revoked=revoked, number=number + 1)

    def trust_store(self) -> TrustStore:
        """Return a trust store of this PKI's CA and current CRL."""
        return TrustStore.load(self.root)

    def _system_dir(self, system_code: str) -> Path:
        # The code becomes a path component: refuse anything that could leave systems/.
        if not is_system_code(system_code):
            raise ValueError(f"system code {system_code!r} must match [a-z][a-z0-9_-]{{1,31}}")
        return self.root / "systems" / system_code

    def _create_ca(self, crypto: Crypto) -> None:
        (self.root / "ca").mkdir(parents=True, exist_ok=True)
        if crypto == "gost":
            self._create_gost_ca()
            return
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, _CA_NAME),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, _HUB_ORGANISATION),
            ]
        )
        now = datetime.now(UTC) - _BACKDATE
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(now + _CA_VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(signer=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256())
        )
        _write_file(self.root / _CA_KEY_FILE, _private_pem(key), mode=0o600)
        _write_file(
            self.root / CA_CERT_FILE,
            certificate.public_bytes(serialization.Encoding.PEM),
            mode=0o644,
        )

    def _create_gost_ca(self) -> None:
        key = dev_ca.generate_key(GOST_256)
        start = datetime.now(UTC) - _BACKDATE
        terms = dev_ca.CertificateTerms(
            _CA_NAME, _HUB_ORGANISATION, x509.random_serial_number(), start, start + _CA_VALIDITY
        )
        certificate = dev_ca.self_signed_ca(key, terms)
        _write_file(self.root / _CA_KEY_FILE, key, mode=0o600)
        _write_file(self.root / CA_CERT_FILE, certificate, mode=0o644)

    def _issue_gost(
        self,
        credentials: SystemCredentials,
        organisation: str,
        key: bytes,
        start: datetime,
        valid_days: int,
    ) -> None:
        """Certify ``key`` (PEM, any algorithm) by the GOST CA and write both."""
        terms = dev_ca.CertificateTerms(
            credentials.system_code,
            organisation,
            x509.random_serial_number(),
            start,
            start + timedelta(days=valid_days),
        )
        certificate = self._gost_ca().issue(
            key, terms, system_uri=SYSTEM_URI_PREFIX + credentials.system_code
        )
        _write_credentials(credentials, key, certificate)

    def _gost_ca(self) -> dev_ca.GostCa:
        return dev_ca.GostCa(self.root / _CA_KEY_FILE, self.root / CA_CERT_FILE)

    def _load_ca_certificate(self) -> x509.Certificate:
        if not self.exists:
            raise FileNotFoundError(f"no dev PKI at {self.root}; call DevPki.init() first")
        return x509.load_pem_x509_certificate((self.root / CA_CERT_FILE).read_bytes())

    def _load_ca(self) -> tuple[PrivateKey, x509.Certificate]:
        ca_cert = self._load_ca_certificate()
        key = serialization.load_pem_private_key(
            (self.root / _CA_KEY_FILE).read_bytes(), password=None
        )
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise ValueError("the dev CA key must be RSA or EC")
        return key, ca_cert

    def _write_crl(self, *, revoked: list[x509.RevokedCertificate], number: int) -> None:
        now = datetime.now(UTC)
        if self.crypto == "gost":
            pem = self._gost_ca().sign_crl(
                [dev_ca.Revoked(e.serial_number, e.revocation_date_utc) for e in revoked],
                number=number,
                last_update=now,
                next_update=now + _CRL_VALIDITY,
            )
            _write_file(self.root / CRL_FILE, pem, mode=0o644)
            return
        ca_key, ca_cert = self._load_ca()
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(ca_cert.subject)
            .last_update(now)
            .next_update(now + _CRL_VALIDITY)
            .add_extension(x509.CRLNumber(number), critical=False)
        )
        for entry in revoked:
            builder = builder.add_revoked_certificate(entry)
        crl = builder.sign(ca_key, hashes.SHA256())
        _write_file(self.root / CRL_FILE, crl.public_bytes(serialization.Encoding.PEM), mode=0o644)


def _new_key(algorithm: KeyAlgorithm) -> PrivateKey:
    if algorithm == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=_RSA_BITS)
    return ec.generate_private_key(ec.SECP256R1())


def _key_usage(*, signer: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signer,
        content_commitment=signer,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=not signer,
        crl_sign=not signer,
        encipher_only=False,
        decipher_only=False,
    )


def _write_credentials(credentials: SystemCredentials, key_pem: bytes, cert_pem: bytes) -> None:
    # Key first, then certificate: a reader between the two sees a mismatched pair,
    # which SigningKey refuses, and keeps its previous key (ReloadingSigner).
    _write_file(credentials.key_path, key_pem, mode=0o600)
    _write_file(credentials.cert_path, cert_pem, mode=0o644)


def _private_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write_file(path: Path, data: bytes, *, mode: int) -> None:
    """Write ``path`` atomically with ``mode``: a reader sees the old or the new file, whole."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.unlink(missing_ok=True)
    # Created with its final mode, so a private key is never readable by others, even briefly.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    os.chmod(temporary, mode)  # the umask may have narrowed the mode given to os.open
    os.replace(temporary, path)
