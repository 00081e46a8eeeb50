"""``python -m tooling.bench.transports``: each push transport delivers to its real simulator,
served by a child process, and the command prints its cost per call."""

import re

import pytest

from tooling.bench.transports import main


def test_each_transport_is_measured_on_the_calls_asked(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--calls", "3"])

    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == ["kdn", "social"]
    for line in lines:
        assert re.fullmatch(r"\w+: [0-9.]+ ms wall, [0-9.]+ ms CPU per call \(3 calls\)", line)
