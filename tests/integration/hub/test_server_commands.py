"""``hub serve`` and ``hub worker`` refuse a wrong configuration in one line (file, line,
reason; or the variable), and ``hub worker --check`` answers a container's health check."""

import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from hub.cli import app
from hub.config import Settings
from hub.routing import ConfigInvalid
from hub.runtime import build_runtime
from hub.store import WorkerHeartbeat

#: Long enough for a cold interpreter to import the hub on a loaded machine.
_COMMAND_TIMEOUT_S = 120


def _run_hub(args: list[str], extra_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``python -m hub.cli ARGS`` in a process of its own, with only ``extra_env`` of the
    hub's variables (none of this machine's)."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("HUB_") and name not in {"DATABASE_URL", "REDIS_URL"}
    }
    return subprocess.run(
        [sys.executable, "-m", "hub.cli", *args],
        env={**env, **extra_env},
        capture_output=True,
        text=True,
        timeout=_COMMAND_TIMEOUT_S,
        check=False,
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_worker_refuses_an_unknown_partner_in_the_rules_with_its_line(
    data_dir: Path, database_url: str, tmp_path: Path
) -> None:
    # Given the shipped rules with one recipient misspelt on line 3
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "version: 1\nmessage_types:\n  FamilyReferral:\n    senders: [police]\n"
        "    recipients: [social,\n      kdnn]\n",
        encoding="utf-8",
    )
    # When the worker starts on them (the database is migrated: nothing else to do first)
    done = _run_hub(
        ["worker"],
        {
            "HUB_DATA_DIR": str(data_dir),
            "DATABASE_URL": database_url,
            "HUB_ROUTING_RULES": str(rules),
        },
    )
    # Then it stops with one line naming the file, the line and the code, no traceback
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [f"error: {rules}:6: unknown partner code «kdnn»"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_wrong_archive_key_stops_the_hub_at_start_not_its_pages_later(
    settings: Settings, tmp_path: Path
) -> None:
    # Given HUB_ARCHIVE_KEY naming a file that holds no private key
    key = tmp_path / "archive-key.pem"
    key.write_text("not a key\n", encoding="utf-8")
    # When the hub's runtime is built (serve and worker run this inside config_errors)
    with pytest.raises(ConfigInvalid) as refused:
        build_runtime(settings.model_copy(update={"archive_key": key}), with_broker=False)
    # Then it is refused at start, naming the file and the variable
    assert str(refused.value).startswith(f"{key}:1: HUB_ARCHIVE_KEY: ")


def test_serve_refuses_a_wrong_setting_in_one_line_naming_the_variable(data_dir: Path) -> None:
    done = _run_hub(
        ["serve", "--no-worker"],
        {"HUB_DATA_DIR": str(data_dir), "HUB_TRUSTED_PROXIES": "10.0.0.1,proxy.local"},
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: environment: HUB_TRUSTED_PROXIES: ")
    assert "'proxy.local' is not an IP address or a CIDR network" in lines[0]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_worker_check_is_healthy_only_with_a_fresh_heartbeat_of_this_host(
    data_dir: Path, database_url: str, session_factory: sessionmaker[Session]
) -> None:
    cli = CliRunner(env={"HUB_DATA_DIR": str(data_dir), "DATABASE_URL": database_url})
    now = datetime.now(UTC)

    def beat(worker_id: str, hostname: str, seen_s_ago: float) -> None:
        with session_factory.begin() as session:
            seen = now - timedelta(seconds=seen_s_ago)
            session.merge(
                WorkerHeartbeat(
                    worker_id=worker_id, hostname=hostname, pid=1, started_at=seen, seen_at=seen
                )
            )

    # Another host's fresh worker and this host's stale one do not make this one healthy
    beat("elsewhere:1:a", "elsewhere", 1)
    beat("here:1:b", socket.gethostname(), 600)
    unhealthy = cli.invoke(app, ["worker", "--check"])
    assert unhealthy.exit_code == 1
    assert "no worker on" in unhealthy.output

    beat("here:1:b", socket.gethostname(), 1)
    healthy = cli.invoke(app, ["worker", "--check"])
    assert healthy.exit_code == 0, healthy.output
    assert "here:1:b" in healthy.output
