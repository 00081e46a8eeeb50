"""A partner's tools without the hub's data folder: ``hub sign``, ``hub send --bundle --save``,
``hub verify --ca [--crl] [--hub-copy]`` and ``hub schemas check``."""

import shutil
from pathlib import Path

import pytest
from lxml import etree
from typer.testing import CliRunner, Result

from hub.cli import app
from schemas import example_bytes, parse_xml, read_header
from signing import DevPki
from tests.factories import Signers, make_envelope
from tests.stack import RunningHub


@pytest.fixture
def partner_cli(tmp_path: Path) -> CliRunner:
    """The command as a partner runs it: no hub data folder exists, no database, no broker."""
    absent = tmp_path / "no-hub-here"
    return CliRunner(env={"HUB_DATA_DIR": str(absent), "DATABASE_URL": "", "REDIS_URL": ""})


def _run(cli: CliRunner, *args: str) -> Result:
    return cli.invoke(app, list(args))


def _ok(cli: CliRunner, *args: str) -> str:
    result = _run(cli, *args)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def police_bundle(pki: DevPki, tmp_path: Path) -> Path:
    """A police bundle as `hub partners add` writes it, copied away from any data folder."""
    folder = tmp_path / "bundle-police"
    folder.mkdir()
    credentials = pki.credentials("police")
    shutil.copyfile(credentials.key_path, folder / "key.pem")
    shutil.copyfile(credentials.cert_path, folder / "cert.pem")
    shutil.copyfile(pki.ca_certificate_path, folder / "ca.pem")
    return folder


def _example(tmp_path: Path) -> Path:
    path = tmp_path / "FamilyReferral-1.0.xml"
    path.write_bytes(example_bytes("FamilyReferral", "1.0"))  # Sender: police
    return path


def test_sign_fresh_then_verify_with_the_ca_alone(
    partner_cli: CliRunner, police_bundle: Path, tmp_path: Path
) -> None:
    example = _example(tmp_path)
    signed = tmp_path / "signed.xml"

    _ok(
        partner_cli,
        "sign",
        str(example),
        "--bundle",
        str(police_bundle),
        "--fresh",
        "-o",
        str(signed),
    )
    verdict = _ok(partner_cli, "verify", str(signed), "--ca", str(police_bundle / "ca.pem"))

    assert "VALID FamilyReferral 1.0" in verdict
    before = read_header(parse_xml(example.read_bytes()))
    after = read_header(parse_xml(signed.read_bytes()))
    assert after.message_id != before.message_id
    assert after.created_at > before.created_at
    assert not (tmp_path / "no-hub-here").exists()


def test_sign_writes_to_stdout_and_keeps_the_ids_without_fresh(
    partner_cli: CliRunner, police_bundle: Path, tmp_path: Path
) -> None:
    example = _example(tmp_path)

    output = partner_cli.invoke(app, ["sign", str(example), "--bundle", str(police_bundle)])

    assert output.exit_code == 0, output.output
    signed = parse_xml(output.stdout_bytes)
    assert read_header(signed).message_id == read_header(parse_xml(example.read_bytes())).message_id
    assert signed[-1].tag == "{http://www.w3.org/2000/09/xmldsig#}Signature"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (
            etree.tostring(make_envelope(sender="social")),
            "the hub would refuse it (signature.signer_not_sender)",
        ),
        (b"<Envelope>", "not a valid envelope"),
    ],
)
def test_sign_refuses_what_the_hub_would_refuse(
    partner_cli: CliRunner, police_bundle: Path, tmp_path: Path, content: bytes, reason: str
) -> None:
    file = tmp_path / "message.xml"
    file.write_bytes(content)

    refused = _run(partner_cli, "sign", str(file), "--bundle", str(police_bundle))

    assert refused.exit_code == 1
    assert reason in refused.output.replace("\n", "")


def test_sign_refuses_a_signed_file(
    partner_cli: CliRunner, police_bundle: Path, tmp_path: Path
) -> None:
    signed = tmp_path / "signed.xml"
    _ok(
        partner_cli,
        "sign",
        str(_example(tmp_path)),
        "--bundle",
        str(police_bundle),
        "-o",
        str(signed),
    )

    again = _run(partner_cli, "sign", str(signed), "--bundle", str(police_bundle))

    assert again.exit_code == 1
    assert "already signed" in again.output


def test_verify_with_a_crl_refuses_a_revoked_signer(
    partner_cli: CliRunner, pki: DevPki, police_bundle: Path, tmp_path: Path
) -> None:
    signed = tmp_path / "signed.xml"
    signed.write_bytes(Signers(pki).sign(make_envelope(sender="police")))
    pki.revoke("police")
    crl = pki.root / "crl.pem"

    without = _run(partner_cli, "verify", str(signed), "--ca", str(police_bundle / "ca.pem"))
    refused = _run(
        partner_cli, "verify", str(signed), "--ca", str(police_bundle / "ca.pem"), "--crl", str(crl)
    )

    assert without.exit_code == 0, without.output
    assert refused.exit_code == 1
    assert "signature.revoked" in refused.output


def test_verify_a_hub_copy(
    partner_cli: CliRunner, pki: DevPki, police_bundle: Path, tmp_path: Path
) -> None:
    # What a partner receives: the Sender's message, re-signed by the hub.
    copy = tmp_path / "copy.xml"
    copy.write_bytes(Signers(pki).sign(make_envelope(sender="police"), "hub"))
    ca = str(police_bundle / "ca.pem")

    verdict = _ok(partner_cli, "verify", str(copy), "--ca", ca, "--hub-copy")
    as_sent = _run(partner_cli, "verify", str(copy), "--ca", ca)

    assert "signed by hub" in verdict
    assert as_sent.exit_code == 1
    assert "signature.signer_not_sender" in as_sent.output


def test_schemas_check_needs_no_data_folder(partner_cli: CliRunner, tmp_path: Path) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_bytes(
        example_bytes("SurveyAct", "1.0").replace(b"<RiskLevel>high</RiskLevel>", b"")
    )

    assert "VALID" in _ok(partner_cli, "schemas", "check", str(_example(tmp_path)))
    refused = _run(partner_cli, "schemas", "check", str(broken))
    assert refused.exit_code == 1
    assert "RiskLevel" in refused.output


def test_send_with_a_bundle_saves_what_it_posted(
    hub_api: RunningHub, partner_cli: CliRunner, tmp_path: Path
) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(hub_api.settings.data_dir / "partners" / "police", bundle)
    unsigned = tmp_path / "referral.xml"
    unsigned.write_bytes(example_bytes("FamilyReferral", "1.0"))
    fresh = tmp_path / "fresh.xml"
    _ok(partner_cli, "sign", str(unsigned), "--bundle", str(bundle), "--fresh", "-o", str(fresh))
    saved = tmp_path / "saved.xml"

    output = _ok(
        partner_cli, "send", str(fresh), "--bundle", str(bundle), "--hub", hub_api.url,
        "--save", str(saved),
    )  # fmt: skip
    again = _run(partner_cli, "send", str(saved), "--bundle", str(bundle), "--hub", hub_api.url)

    assert "accepted" in output
    assert saved.read_bytes() == fresh.read_bytes()  # a signed file goes as it is
    assert again.exit_code == 0
    assert "already accepted" in again.output


def test_send_signs_an_unsigned_file_and_saves_the_signed_bytes(
    hub_api: RunningHub, partner_cli: CliRunner, tmp_path: Path
) -> None:
    bundle = hub_api.settings.data_dir / "partners" / "police"
    unsigned = tmp_path / "referral.xml"
    unsigned.write_bytes(etree.tostring(make_envelope(sender="police")))
    saved = tmp_path / "saved.xml"

    _ok(
        partner_cli, "send", str(unsigned), "--bundle", str(bundle), "--hub", hub_api.url,
        "--save", str(saved),
    )  # fmt: skip

    verdict = _ok(partner_cli, "verify", str(saved), "--ca", str(bundle / "ca.pem"))
    assert "VALID FamilyReferral" in verdict
