"""A short `hub chaos` run, as an operator would start it: random faults, figures, exit code."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from hub.cli import app
from hub.config import Settings
from hub.store import MessageLog, make_engine
from schemas import parse_xml
from signing import DevPki, VerifyPolicy
from signing.profile import signature_method_of
from tests.conftest import require_service
from tooling.rig import hub_key_provider

MESSAGES = 300
TAMPERED = 30  # the default share, 10 %


@pytest.mark.parametrize("crypto", ["rsa", "gost"])
def test_a_short_chaos_run_keeps_every_promise(tmp_path: Path, crypto: str) -> None:
    report_file = tmp_path / "chaos.json"
    done = subprocess.run(
        [sys.executable, "-m", "hub.cli", "chaos", "--messages", str(MESSAGES), "--rate", "30",
         "--seed", "7", "--data-dir", str(tmp_path / "run"), "--json", str(report_file),
         "--crypto", crypto],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    if done.returncode != 0 and "libengine-gost-openssl" in done.stdout + done.stderr:
        require_service("OpenSSL's GOST engine", RuntimeError(done.stderr))

    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(report_file.read_text(encoding="utf-8"))
    figures = report["figures"]
    assert report["violations"] == []
    assert report["faults"], "no fault was injected"
    assert (figures["sent"], figures["accepted"], figures["rejected"]) == (
        MESSAGES, MESSAGES - TAMPERED, TAMPERED,
    )  # fmt: skip
    assert figures["expected_deliveries"] == figures["delivered"] == 2 * (MESSAGES - TAMPERED)
    assert (figures["lost"], figures["extra"], figures["duplicate_effects"]) == (0, 0, 0)
    assert "duplicate_effects" in done.stdout  # the figures were printed too
    _the_log_is_signed_with(tmp_path / "run", crypto)


def _the_log_is_signed_with(data_dir: Path, crypto: str) -> None:
    """The run's PKI is ``crypto``'s, and every message in its log (as received) is signed
    with an algorithm of its hub's own family, the only one that hub accepted."""
    pki = DevPki(data_dir / "pki")
    assert pki.crypto == crypto
    allowed = VerifyPolicy.for_providers([hub_key_provider(pki)]).signature_methods
    engine = make_engine(Settings(data_dir=data_dir).effective_database_url)
    try:
        with engine.connect() as connection:
            raws = connection.scalars(select(MessageLog.raw)).all()
    finally:
        engine.dispose()
    assert len(raws) == MESSAGES - TAMPERED
    assert {signature_method_of(parse_xml(raw)) for raw in raws} <= allowed


def test_impossible_options_are_refused_before_anything_starts(tmp_path: Path) -> None:
    # In-process: a refusal starts nothing, so there is no process of its own to watch
    for options in (["--messages", "0"], ["--messages", "5", "--workers", "-1"]):
        done = CliRunner().invoke(app, ["chaos", *options, "--data-dir", str(tmp_path)])
        assert done.exit_code == 2, options
        assert "error:" in done.stderr
    assert list(tmp_path.iterdir()) == []
