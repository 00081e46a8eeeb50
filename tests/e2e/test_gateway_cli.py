"""``hub partners add --delivery`` and ``hub gateway status`` as an operator uses them."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.gateway.spool import Spool
from hub.cli import app


@pytest.fixture
def cli(data_dir: Path) -> CliRunner:
    return CliRunner(env={"HUB_DATA_DIR": str(data_dir), "DATABASE_URL": "", "REDIS_URL": ""})


def test_a_partner_beside_a_gateway_is_registered_in_pull_mode(cli: CliRunner) -> None:
    assert cli.invoke(app, ["pki", "init"]).exit_code == 0
    assert cli.invoke(app, ["db", "upgrade"]).exit_code == 0

    pulled = cli.invoke(app, ["partners", "add", "social", "-o", "КЦСОН", "--delivery", "pull"])
    pushed = cli.invoke(app, ["partners", "add", "police", "-o", "ОМВД", "--delivery", "push"])

    assert pulled.exit_code == 0, pulled.output
    assert "(pull)" in pulled.output
    assert pushed.exit_code == 1
    assert "no push transport" in pushed.output
    listing = cli.invoke(app, ["partners", "list"]).output
    assert "social" in listing
    assert "pull" in listing


def test_status_shows_counts_per_state_the_oldest_waiting_and_the_last_error(
    cli: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "spool.sqlite"
    spool = Spool(path)
    waiting, _ = spool.put("m-1", "FamilyReferral", b"<signed/>", now=1_780_000_000.0)
    refused, _ = spool.put("m-2", "InformationResponse", b"<signed/>", now=1_780_000_001.0)
    spool.mark_retry(waiting.gateway_id, error="hub not reachable: ConnectError", now=1.0,
                     next_attempt_at=2.0)  # fmt: skip
    spool.mark_refused(refused.gateway_id, code="routing.unknown_correlation", detail="d", now=3.0)
    spool.close()

    table = cli.invoke(app, ["gateway", "status", "--spool", str(path)])
    as_json = cli.invoke(app, ["gateway", "status", "--spool", str(path), "--json"])

    assert table.exit_code == 0, table.output
    assert "FamilyReferral m-1" in table.output
    assert "1 attempts" in table.output
    assert "last error: 2: routing.unknown_correlation" in table.output
    assert '"waiting": 1' in as_json.output
    assert '"refused": 1' in as_json.output
    assert '"sent": 0' in as_json.output
