"""The GOST half of the dev PKI: keys, certificates and CRLs made by the ``openssl`` command.

``pyca/cryptography`` has no GOST, so a GOST dev PKI (``DevPki.init(crypto="gost")``) asks the
system's ``openssl`` with Debian's GOST engine (``-engine gost``) for its keys and signatures.
Each call starts a process (about 10 ms): fine for issuing certificates, never the hot path,
which signs in-process (``signing.gost.openssl``).

``openssl ca`` keeps its state in an index and a serial file. Each call here gets a fresh
temporary folder holding the state it needs (the serial to give, the entries of the current
CRL), so a GOST PKI on disk is the same files as an RSA one and nothing can drift from its CRL.
The subject goes to ``openssl`` as an argument and the profile as a config file in that folder;
no shell is involved.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from signing.gost.algorithms import GOST_256, GostAlgorithm
from signing.gost.openssl import GostUnavailable

__all__ = ["CertificateTerms", "GostCa", "Revoked", "generate_key", "self_signed_ca"]

_INSTALL = "apt-get install openssl libengine-gost-openssl"
#: The CA signs everything with GOST R 34.10-2012 256 over Streebog-256 (OID 1.2.643.7.1.1.3.2).
_CA_ALGORITHM = GOST_256
#: The engine's paramset for ``genpkey``. For 256-bit keys "A" is CryptoPro-A
#: (id-GostR3410-2001-CryptoPro-A-ParamSet, 1.2.643.2.2.35.1), one of the sets R 1323565.1.024
#: admits and the curve of the 256-bit keys CryptoPro CSP makes (its XchA, 1.2.643.2.2.36.0, is
#: the same curve), so dev keys look like those partners bring from accredited CAs. For 512-bit
#: keys "A" is TC26 set A (id-tc26-gost-3410-12-512-paramSetA).
_PARAMSET = "A"

# A throwaway CA database: what ``openssl ca`` needs to sign one certificate or one CRL.
# ``req`` reads only its section; the DN itself comes from ``-subj``. OpenSSL holds
# organizationName to X.520's 64 characters, which Russian organisations' full names exceed
# (the cryptography-built RSA certificates carry them whole): the string table lifts it.
_CONFIG = """\
openssl_conf = init
[init]
stbl_section = string_table
[string_table]
organizationName = min:1,max:1024,mask:UTF8String
[ca]
default_ca = dev
[dev]
database = index.txt
new_certs_dir = .
serial = serial
crlnumber = crlnumber
default_md = {digest}
policy = policy
unique_subject = no
email_in_dn = no
copy_extensions = none
[policy]
commonName = supplied
organizationName = optional
[req]
distinguished_name = dn
string_mask = utf8only
[dn]
[ca_ext]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[system_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
subjectAltName = URI:{system_uri}
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


@dataclass(frozen=True)
class Revoked:
    """One entry of a CRL: the certificate's serial and when it was revoked."""

    serial_number: int
    revocation_date: datetime


@dataclass(frozen=True)
class CertificateTerms:
    """What a certificate to make names, its serial, and how long it is valid."""

    common_name: str
    organisation: str
    serial_number: int
    not_before: datetime
    not_after: datetime


def generate_key(algorithm: GostAlgorithm) -> bytes:
    """Return a new GOST R 34.10-2012 private key as PKCS#8 PEM.

    Raises:
        GostUnavailable: no ``openssl`` command or no GOST engine.
    """
    return _openssl(
        "genpkey",
        "-algorithm",
        f"gost2012_{algorithm.bits}",
        "-pkeyopt",
        f"paramset:{_PARAMSET}",
    )


def self_signed_ca(key_pem: bytes, terms: CertificateTerms) -> bytes:
    """Return the PEM of a self-signed CA certificate for ``key_pem`` (a 256-bit GOST key).

    Raises:
        GostUnavailable: no ``openssl`` command or no GOST engine.
    """
    with _workspace() as folder:
        return _certify(folder, key_pem, terms, "ca_ext", "-selfsign", "-keyfile", "subject.key")


@dataclass(frozen=True)
class GostCa:
    """The dev CA's key and certificate files, put to work through ``openssl ca``."""

    key_path: Path
    cert_path: Path

    def issue(self, key_pem: bytes, terms: CertificateTerms, *, system_uri: str) -> bytes:
        """Return the PEM of a signing certificate for ``key_pem`` with the dev profile.

        The profile is the RSA one's: CN and O as given, the SAN URI ``system_uri``, key
        usage digitalSignature + nonRepudiation (critical), CA:false (critical), SKI and AKI.

        Raises:
            GostUnavailable: no ``openssl`` command or no GOST engine.
        """
        with _workspace(system_uri=system_uri) as folder:
            return _certify(folder, key_pem, terms, "system_ext", *self._signer())

    def sign_crl(
        self,
        revoked: Sequence[Revoked],
        *,
        number: int,
        last_update: datetime,
        next_update: datetime,
    ) -> bytes:
        """Return the PEM of a CRL listing ``revoked``, numbered ``number``, signed by the CA.

        Raises:
            GostUnavailable: no ``openssl`` command or no GOST engine.
        """
        with _workspace() as folder:
            # Only the serial and the date of an "R" line reach the CRL; the expiry and
            # subject columns must merely parse.
            (folder / "index.txt").write_text(
                "".join(
                    f"R\t{_utc_time(e.revocation_date)}\t{_utc_time(e.revocation_date)}"
                    f"\t{_hex(e.serial_number)}\tunknown\t/CN=unknown\n"
                    for e in revoked
                )
            )
            (folder / "crlnumber").write_text(_hex(number) + "\n")
            return _openssl(
                "ca",
                "-config",
                "ca.cnf",
                "-gencrl",
                *self._signer(),
                "-crl_lastupdate",
                _generalized_time(last_update),
                "-crl_nextupdate",
                _generalized_time(next_update),
                cwd=folder,
            )

    def _signer(self) -> tuple[str, ...]:
        # Absolute: ``openssl`` runs in the workspace, and the PKI's root may be relative
        # (``./var/pki`` by default).
        return ("-keyfile", str(self.key_path.resolve()), "-cert", str(self.cert_path.resolve()))


@contextmanager
def _workspace(*, system_uri: str = "") -> Iterator[Path]:
    """A private temporary folder with the config file and an empty CA database."""
    with tempfile.TemporaryDirectory(prefix="hub-gost-ca-") as name:
        folder = Path(name)
        config = _CONFIG.format(digest=_CA_ALGORITHM.openssl_digest, system_uri=system_uri)
        (folder / "ca.cnf").write_text(config)
        (folder / "index.txt").touch()
        yield folder


def _certify(
    folder: Path, key_pem: bytes, terms: CertificateTerms, extensions: str, *signer: str
) -> bytes:
    (folder / "subject.key").write_bytes(key_pem)
    request = _openssl(
        "req",
        "-new",
        "-config",
        "ca.cnf",
        "-key",
        "subject.key",
        "-utf8",
        "-subj",
        f"/CN={_escape(terms.common_name)}/O={_escape(terms.organisation)}",
        cwd=folder,
    )
    (folder / "request.pem").write_bytes(request)
    (folder / "serial").write_text(_hex(terms.serial_number) + "\n")
    _openssl(
        "ca",
        "-batch",
        "-config",
        "ca.cnf",
        "-in",
        "request.pem",
        "-out",
        "certificate.pem",
        "-notext",
        "-preserveDN",
        "-extensions",
        extensions,
        "-startdate",
        _generalized_time(terms.not_before),
        "-enddate",
        _generalized_time(terms.not_after),
        *signer,
        cwd=folder,
    )
    return (folder / "certificate.pem").read_bytes()


def _openssl(command: str, *arguments: str, cwd: Path | None = None) -> bytes:
    program = shutil.which("openssl")
    if program is None:
        raise GostUnavailable(f"the openssl command is missing; {_INSTALL}")
    result = subprocess.run(  # noqa: S603 - the system's openssl, arguments we build
        [program, command, "-engine", "gost", *arguments],
        cwd=cwd,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    errors = result.stderr.decode(errors="replace")
    if 'Invalid engine "gost"' in errors:
        raise GostUnavailable(f"OpenSSL's GOST engine is missing; {_INSTALL}")
    if result.returncode != 0:
        raise RuntimeError(f"openssl {command} failed: {errors.strip()}")
    return result.stdout


def _escape(value: str) -> str:
    """Escape a DN value for ``-subj``, where ``/`` separates attributes and ``+`` joins them."""
    return "".join("\\" + c if c in "\\/+" else c for c in value)


def _hex(number: int) -> str:
    """``openssl`` reads serials and CRL numbers as hex of an even number of digits."""
    digits = f"{number:X}"
    return digits.zfill(len(digits) + len(digits) % 2)


def _generalized_time(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y%m%d%H%M%S}Z"


def _utc_time(moment: datetime) -> str:
    # The CA index keeps dates as UTCTime (two-digit years, valid until 2049).
    return f"{moment.astimezone(UTC):%y%m%d%H%M%S}Z"
