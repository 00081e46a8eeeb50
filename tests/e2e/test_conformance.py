"""``hub conformance`` against a real hub with its worker and the partner simulators."""

import json
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.kit import run_conformance
from hub.cli import app
from signing import DevPki
from tests.sandbox import running_sandbox
from tests.stack import RunningHub, fast_settings, running_hub

#: Every broken copy the kit sends, and the code it must get.
BROKEN = {
    "changed after signing": "signature.digest_mismatch",
    "signed with a foreign key": "signature.untrusted",
    "another system as Sender": "signature.signer_not_sender",
    "CreatedAt too old": "replay.stale",
    "CreatedAt in the future": "replay.future",
    "the same bytes again": "replay.duplicate",
    "not well-formed": "xml.malformed",
    "unsigned": "signature.missing",
    "payload outside its XSD": "payload.invalid",
}


@pytest.fixture
def hub(data_dir: Path, database_url: str, redis_url: str, pki: DevPki) -> Iterator[RunningHub]:
    # The kit takes the police system's seat: its simulator would empty the inbox first.
    settings = fast_settings(data_dir, database_url, redis_url)
    with running_hub(settings, pki, without=frozenset({"police"})) as running:
        yield running


@pytest.fixture
def gost_hub(data_dir: Path, database_url: str, redis_url: str) -> Iterator[RunningHub]:
    """A region on GOST: a GOST PKI, and the hub accepting GOST R 34.10-2012 256 only."""
    pki = DevPki(data_dir / "pki")
    pki.init(crypto="gost")
    settings = fast_settings(data_dir, database_url, redis_url).model_copy(
        update={"signature_providers": "gost256"}
    )
    with running_hub(settings, pki, without=frozenset({"police"})) as running:
        yield running


def _kit(hub: RunningHub, code: str, tmp_path: Path, *extra: str) -> tuple[int, dict[str, object]]:
    # The bundle alone, away from the hub's data folder, which the partner never sees.
    bundle = tmp_path / f"bundle-{code}"
    shutil.copytree(hub.settings.data_dir / "partners" / code, bundle)
    report = tmp_path / f"{code}.json"
    cli = CliRunner(
        env={"HUB_DATA_DIR": str(tmp_path / "absent"), "DATABASE_URL": "", "REDIS_URL": ""}
    )
    result = cli.invoke(
        app,
        ["conformance", "--hub", hub.url, "--bundle", str(bundle), "--json", str(report), *extra],
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert not (tmp_path / "absent").exists()
    return result.exit_code, json.loads(report.read_text())


def _by_name(report: dict[str, object]) -> dict[str, dict[str, str]]:
    checks = report["checks"]
    assert isinstance(checks, list)
    return {check["name"]: check for check in checks}


@pytest.mark.parametrize("region", ["hub", "gost_hub"])
def test_police_pass_and_get_their_receipt_through_the_inbox(
    region: str, database_url: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    # database_url is asked for here so that its parameter (SQLite, PostgreSQL) is chosen
    # before the region's hub fixture is looked up by name.
    hub: RunningHub = request.getfixturevalue(region)
    exit_code, report = _kit(hub, "police", tmp_path, "--wait", "20")

    checks = _by_name(report)
    assert exit_code == 0, [c for c in checks.values() if c["outcome"] == "fail"]
    assert report["passed"] is True
    assert checks["FamilyReferral 1.0: valid, fresh"]["outcome"] == "pass"
    assert checks["FamilyReferral 1.1: valid, fresh"]["outcome"] == "pass"
    for name, code in BROKEN.items():
        assert (checks[name]["got"], checks[name]["outcome"]) == (code, "pass"), name
    inbox = checks["inbox: answers to the messages sent, hub-signed, acknowledged"]
    assert inbox["outcome"] == "pass"
    assert " answering " in inbox["note"]  # the hub's copy of a simulator's answer
    # Skipped at first for want of a message to answer, then sent answering one received.
    assert checks["DeliveryReceipt 1.0: valid, fresh"]["got"] == "routing.unknown_correlation"
    assert checks["DeliveryReceipt 1.0: answering a received message"]["outcome"] == "pass"
    assert checks["InformationResponse 1.0: answering a received message"]["outcome"] == "pass"


def test_a_push_partner_skips_what_needs_an_earlier_message(
    hub: RunningHub, tmp_path: Path
) -> None:
    exit_code, report = _kit(hub, "social", tmp_path)

    checks = _by_name(report)
    assert exit_code == 0, [c for c in checks.values() if c["outcome"] == "fail"]
    assert checks["ReferralReceipt 1.0: valid, fresh"]["outcome"] == "skip"
    assert checks["ReferralReceipt 1.0: valid, fresh"]["got"].startswith("routing.")
    assert not any(name.startswith("inbox") for name in checks)  # social is pushed to
    for name, code in BROKEN.items():
        assert checks[name]["got"] == code, name


def test_a_failure_is_reported_and_exits_1(hub: RunningHub, tmp_path: Path) -> None:
    # The hub stops trusting police's certificate (it re-reads its CRL at once in tests).
    DevPki(hub.settings.pki_dir).revoke("police")

    exit_code, report = _kit(hub, "police", tmp_path, "--wait", "0")

    assert exit_code == 1
    assert report["passed"] is False
    referral = _by_name(report)["FamilyReferral 1.0: valid, fresh"]
    assert (referral["got"], referral["outcome"]) == ("signature.revoked", "fail")


def test_every_partner_passes_against_the_sandbox(tmp_path: Path) -> None:
    # The bar: the kit passes against `hub sandbox`, police's seat left to the kit.
    # The kits run side by side, as six partners' engineers would: most of a kit's time is
    # spent waiting for the hub's answers in its inbox.
    codes = ("police", "social", "kdn", "health", "education", "employment")
    with (
        running_sandbox(tmp_path / "sandbox", tmp_path / "sandbox.log", "police") as sandbox,
        ThreadPoolExecutor(len(codes)) as kits,
    ):
        bundles = [Path(str(sandbox.partner(code)["bundle"])) for code in codes]
        runs = kits.map(lambda bundle: run_conformance(sandbox.hub_url, bundle, wait_s=30), bundles)
        reports = dict(zip(codes, runs, strict=True))

    failed = {code: [c for c in r.checks if c.outcome == "fail"] for code, r in reports.items()}
    assert failed == {code: [] for code in reports}
    police = {check.name: check for check in reports["police"].checks}
    assert police["DeliveryReceipt 1.0: answering a received message"].outcome == "pass"
    assert any(name.startswith("inbox") and c.outcome == "pass" for name, c in police.items())
