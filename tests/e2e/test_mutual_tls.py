"""``hub serve`` terminating mutual TLS itself: no client certificate from the CA, no request.

The server certificate is made here from the dev CA's key (the dev PKI issues signing
certificates, not server ones); the client presents a partner's dev-PKI signing
certificate, as docs/mutual-tls.md tells partners to.
"""

import ipaddress
import os
import ssl
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from typer.testing import CliRunner

from hub.cli import app
from signing import DevPki
from tests.e2e.test_cli import _serving, _wait_ready


def _server_certificate(pki: DevPki, directory: Path) -> tuple[Path, Path]:
    """A 127.0.0.1 server certificate signed by the dev CA; returns (cert, key) paths."""
    ca_key = serialization.load_pem_private_key(
        (pki.root / "ca" / "ca.key").read_bytes(), password=None
    )
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey)
    ca = x509.load_pem_x509_certificate(pki.ca_certificate_path.read_bytes())
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hub.test")]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    cert_path, key_path = directory / "server.pem", directory / "server.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture(scope="module")
def mtls_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, DevPki]]:
    """`hub serve --no-worker` on HTTPS that demands a client certificate from the dev CA;
    one for the module (it changes nothing a test could see: each only connects)."""
    tmp_path = tmp_path_factory.mktemp("mtls")
    data = tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env["HUB_DATA_DIR"] = str(data)
    subprocess.run([sys.executable, "-m", "hub.cli", "pki", "init"], env=env, check=True)
    pki = DevPki(data / "pki")
    cert, key = _server_certificate(pki, tmp_path)
    with _serving(
        env, "--no-worker", "--tls-cert", str(cert), "--tls-key", str(key),
        "--tls-client-ca", str(pki.ca_certificate_path),
    ) as (serve, port):  # fmt: skip
        # Readiness asked over mutual TLS too: the port speaks nothing else.
        partner = pki.issue("police", "ОМВД")
        base = f"https://127.0.0.1:{port}"
        with _client(pki, (partner.cert_path, partner.key_path)) as client:
            _wait_ready(base + "/readyz", serve, get=client.get)
        yield base, pki


def _client(pki: DevPki, cert: tuple[Path, Path] | None) -> httpx.Client:
    context = ssl.create_default_context(cafile=str(pki.ca_certificate_path))
    if cert is not None:
        context.load_cert_chain(str(cert[0]), str(cert[1]))
    return httpx.Client(verify=context, timeout=5)


def test_a_partner_certificate_from_the_ca_gets_through(mtls_hub: tuple[str, DevPki]) -> None:
    base, pki = mtls_hub
    partner = pki.issue("social", "КЦСОН")
    with _client(pki, (partner.cert_path, partner.key_path)) as client:
        answer = client.get(base + "/api/v1/messages/unknown")
    # Past TLS, the API's own checks apply: no API key, a problem+json 401
    assert answer.status_code == 401
    assert answer.json()["code"] == "auth.missing_credentials"


def test_no_client_certificate_is_refused_in_the_handshake(
    mtls_hub: tuple[str, DevPki],
) -> None:
    base, pki = mtls_hub
    with _client(pki, None) as client, pytest.raises(httpx.TransportError):
        client.get(base + "/readyz")
    _assert_still_serving(base, pki)


def test_a_certificate_from_another_ca_is_refused(
    mtls_hub: tuple[str, DevPki], tmp_path: Path
) -> None:
    base, pki = mtls_hub
    stranger = DevPki(tmp_path / "stranger")
    stranger.init()
    foreign = stranger.issue("police", "Чужой УЦ")
    with (
        _client(pki, (foreign.cert_path, foreign.key_path)) as client,
        pytest.raises(httpx.TransportError),
    ):
        client.get(base + "/readyz")
    _assert_still_serving(base, pki)


def _assert_still_serving(base: str, pki: DevPki) -> None:
    """The refusal was the certificate's doing: a partner of the CA still gets through.

    (Under TLS 1.3 the client learns of the refusal only as a dropped connection.)
    """
    partner = pki.issue("kdn", "КДН")
    with _client(pki, (partner.cert_path, partner.key_path)) as client:
        assert client.get(base + "/readyz").status_code == 200


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tls-key", "{file}"], "--tls-cert and --tls-key go together"),
        (["--tls-client-ca", "{file}"], "--tls-client-ca needs --tls-cert and --tls-key"),
    ],
)
def test_incomplete_tls_options_are_refused(tmp_path: Path, args: list[str], message: str) -> None:
    pem = tmp_path / "some.pem"
    pem.write_text("not used")
    result = CliRunner().invoke(
        app, ["serve", *(a.format(file=pem) for a in args), "--data-dir", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert message in result.output
