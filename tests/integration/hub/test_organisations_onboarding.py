"""``hub partners add CODE --agency AGENCY``: an organisation with its own bundle, bound to its
own code, under an agency's adapter and rules."""

from pathlib import Path

import pytest
from cryptography import x509
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from hub.cli.app import app
from hub.store import Partner
from signing import DevPki, SignerIdentity


@pytest.fixture
def cli(data_dir: Path, database_url: str, pki: DevPki) -> CliRunner:
    return CliRunner(
        env={"HUB_DATA_DIR": str(data_dir), "DATABASE_URL": database_url, "COLUMNS": "200"}
    )


def _codes(session_factory: sessionmaker[Session]) -> dict[str, str]:
    with session_factory() as session:
        return {p.code: p.adapter for p in session.scalars(select(Partner))}


def test_a_school_gets_its_own_bundle_bound_to_its_own_code(
    cli: CliRunner, data_dir: Path, session_factory: sessionmaker[Session]
) -> None:
    folder = (data_dir / "exchange" / "edu-school-12").as_uri()
    added = cli.invoke(
        app,
        ["partners", "add", "edu-school-12", "--agency", "education",
         "-o", "МБОУ «СОШ № 12»", "--endpoint", folder],
    )  # fmt: skip
    listing = cli.invoke(app, ["partners", "list"])

    assert added.exit_code == 0, added.output
    assert "edu-school-12 of agency education registered (push)" in added.output
    bundle = data_dir / "partners" / "edu-school-12"
    certificate = x509.load_pem_x509_certificate((bundle / "cert.pem").read_bytes())
    assert SignerIdentity.from_certificate(certificate).system_code == "edu-school-12"
    assert {"key.pem", "ca.pem", "api_key"} <= {p.name for p in bundle.iterdir()}
    assert _codes(session_factory) == {"edu-school-12": "education"}
    [row] = [line for line in listing.output.splitlines() if "edu-school-12" in line]
    assert "education" in row


@pytest.mark.parametrize(
    ("arguments", "why"),
    [
        (["health", "--agency", "education"], "is the code of an agency"),
        (["hub", "--agency", "education"], "is the code of the hub"),
        (["edu-school-13"], "edu-school-13"),
        (["edu-school-13", "--agency", "school"], "school"),
    ],
)
def test_an_organisation_needs_a_code_of_its_own_and_a_known_agency(
    cli: CliRunner,
    pki: DevPki,
    session_factory: sessionmaker[Session],
    arguments: list[str],
    why: str,
) -> None:
    hub_certificate = pki.credentials("hub").cert_path.read_bytes()

    refused = cli.invoke(
        app, ["partners", "add", *arguments, "-o", "Школа", "--endpoint", "file:///srv/x"]
    )

    assert refused.exit_code == 1
    assert why in refused.output
    assert _codes(session_factory) == {}
    assert pki.credentials("hub").cert_path.read_bytes() == hub_certificate
