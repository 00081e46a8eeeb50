"""A short `hub chaos` run, as an operator would start it: random faults, figures, exit code."""

import json
import subprocess
import sys
from pathlib import Path

MESSAGES = 300
TAMPERED = 30  # the default share, 10 %


def test_a_short_chaos_run_keeps_every_promise(tmp_path: Path) -> None:
    report_file = tmp_path / "chaos.json"
    done = subprocess.run(
        [sys.executable, "-m", "hub.cli", "chaos", "--messages", str(MESSAGES), "--rate", "30",
         "--seed", "7", "--data-dir", str(tmp_path / "run"), "--json", str(report_file)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip

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


def test_impossible_options_are_refused_before_anything_starts(tmp_path: Path) -> None:
    for options in (["--messages", "0"], ["--messages", "5", "--workers", "-1"]):
        done = subprocess.run(
            [sys.executable, "-m", "hub.cli", "chaos", *options, "--data-dir", str(tmp_path)],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == 2, options
        assert "error:" in done.stderr
    assert list(tmp_path.iterdir()) == []
