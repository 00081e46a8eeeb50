"""``hub bench`` refuses a run it cannot measure, before it starts anything."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from hub.cli.app import app


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        (["--messages", "0"], "--messages must be at least 1, not 0"),
        (["--concurrency", "-3"], "--concurrency must be at least 1, not -3"),
        (["--workers", "0"], "--workers must be at least 1, not 0"),
        (["--backlog", "-1"], "--backlog must be 0 or more, not -1"),
        (["--seed-log", "99"], "--seed-log must be at least 100"),
        (["--database", "mysql"], "--database 'mysql': use sqlite or postgresql"),
        (["--crypto", "dsa"], "Invalid value for '--crypto'"),
    ],
)
def test_impossible_options_are_refused_with_the_reason(
    arguments: list[str], reason: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a folder to run in, so that anything the bench started would show there
    monkeypatch.chdir(tmp_path)
    # When the bench is asked for a run that cannot be measured
    result = CliRunner().invoke(app, ["bench", "--quick", *arguments])
    # Then it exits with 2, says why, and has made nothing (no ./var, no data)
    assert result.exit_code == 2
    assert reason in " ".join(result.output.split())
    assert list(tmp_path.iterdir()) == []


def test_a_data_folder_with_something_in_it_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "var"
    folder.mkdir()
    (folder / "hub.db").write_bytes(b"the demo's data")
    result = CliRunner().invoke(app, ["bench", "--quick", "--data-dir", str(folder)])
    assert result.exit_code == 2
    assert f"--data-dir {folder} is not empty" in " ".join(result.output.split())
    assert [p.name for p in folder.iterdir()] == ["hub.db"]
    assert (folder / "hub.db").read_bytes() == b"the demo's data"
