"""parse_xml from many threads at once: each thread parses with its own parser.

With one parser shared by the module, a thread whose first parse went through it adopted
another thread's libxml2 string dictionary, and two threads' parsers then wrote into it at
once: a valid message was refused as ERR_TAG_NAME_MISMATCH in a worker, and this run, with
the shared parser put back, crashed the process or misread messages in each of 4 tries.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[3]


def test_threads_parsing_at_once_each_read_their_own_message() -> None:
    # A process of its own: the failure this guards against can crash the process.
    finished = subprocess.run(
        [sys.executable, "-m", "tests.unit.schemas.parse_in_threads", "8", "1500"],
        cwd=_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert json.loads(finished.stdout) == []
