"""``hub sandbox`` as a process for the tests: started on port 0, stopped on leaving."""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

__all__ = ["REPO", "Sandbox", "running_sandbox"]

REPO = Path(__file__).resolve().parents[1]
#: A first start installs the dev PKI and the schema and onboards six partners.
STARTUP_DEADLINE_S = 180.0


class Sandbox:
    """A ``hub sandbox`` process and what it wrote into ``sandbox.json``."""

    def __init__(self, process: "subprocess.Popen[bytes]", info: dict[str, object]) -> None:
        self.process = process
        self.info = info

    @property
    def hub_url(self) -> str:
        return str(self.info["hub_url"])

    def partner(self, code: str) -> dict[str, object]:
        partners = self.info["partners"]
        assert isinstance(partners, dict)
        seat = partners[code]
        assert isinstance(seat, dict)
        return seat


@contextlib.contextmanager
def running_sandbox(
    data_dir: Path, log: Path, *without: str, crypto: str = "rsa"
) -> Iterator[Sandbox]:
    """``hub sandbox --port 0 --crypto CRYPTO`` on ``data_dir`` until it wrote
    ``sandbox.json``; stopped (SIGTERM) on leaving if still running."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    command = [
        sys.executable,
        "-m",
        "hub.cli",
        "sandbox",
        "--port",
        "0",
        "--data-dir",
        str(data_dir),
        "--crypto",
        crypto,
    ]
    for code in without:
        command += ["--without", code]
    with log.open("ab") as output:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=output, stderr=output)
    try:
        info_file = data_dir / "sandbox.json"
        deadline = time.monotonic() + STARTUP_DEADLINE_S
        while not info_file.exists():
            assert process.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, "the sandbox did not start in time"
            time.sleep(0.3)
        yield Sandbox(process, json.loads(info_file.read_text(encoding="utf-8")))
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
