"""docker-compose.yml stays a valid, production-shaped stack (Docker itself cannot run here)."""

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[3]


def _compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_has_the_four_services_with_real_images() -> None:
    services = _compose()["services"]
    assert isinstance(services, dict)
    assert set(services) == {"postgres", "redis", "api", "worker"}
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    # api and worker are built from the repository's Dockerfile on a real base image.
    assert services["api"]["build"] == "."
    assert services["worker"]["build"] == "."
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert dockerfile.splitlines()[1].startswith("FROM python:3.11")


def test_redis_keeps_an_append_only_file() -> None:
    command = _compose()["services"]["redis"]["command"]
    assert command[:3] == ["redis-server", "--appendonly", "yes"]


def test_api_and_worker_run_the_hub_against_postgres_and_redis() -> None:
    services = _compose()["services"]
    assert services["api"]["command"][:2] == ["hub", "serve"]
    assert "--no-worker" in services["api"]["command"]
    assert services["worker"]["command"] == ["hub", "worker"]
    for name in ("api", "worker"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgresql+psycopg://")
        assert env["REDIS_URL"].startswith("redis://redis:")
        assert set(services[name]["depends_on"]) == {"postgres", "redis"}


def test_no_secret_is_committed() -> None:
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    # Every secret is required from the environment, with no default to fall back on.
    secrets = {"POSTGRES_PASSWORD", "HUB_METRICS_TOKEN"}
    used = dict(re.findall(r"\$\{([A-Z_]+)(:[?-]|)", text))
    assert secrets <= used.keys()
    assert all(used[name] == ":?" for name in secrets), used
    assert re.findall(r"\$\{([A-Z_]+)\}", text) == []  # none silently empty


def test_the_api_and_the_worker_pass_the_metrics_token_from_the_environment() -> None:
    services = _compose()["services"]
    for name in ("api", "worker"):
        assert services[name]["environment"]["HUB_METRICS_TOKEN"].startswith(
            "${HUB_METRICS_TOKEN:?"
        )


def test_the_api_and_the_worker_have_health_checks() -> None:
    services = _compose()["services"]
    api = services["api"]["healthcheck"]["test"]
    # The image has Python but no curl: readiness is fetched with the standard library.
    assert api[:2] == ["CMD", "python"]
    assert "http://127.0.0.1:8000/readyz" in api[-1]
    assert services["worker"]["healthcheck"]["test"] == ["CMD", "hub", "worker", "--check"]
    for name in ("api", "worker"):
        assert services[name]["healthcheck"]["start_period"]


def test_the_schools_exchange_folders_are_a_volume_both_hub_services_mount() -> None:
    compose = _compose()
    assert "exchange" in compose["volumes"]
    for name in ("api", "worker"):
        assert "exchange:/srv/exchange" in compose["services"][name]["volumes"]
    # The image's folder belongs to the hub's user, so a fresh volume is writable by it.
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "chown hub /data /srv/exchange" in dockerfile


def test_the_image_ships_the_runtime_packages_and_not_the_tooling() -> None:
    lines = (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()
    copied = {line.split()[1] for line in lines if line.startswith("COPY ")}
    assert {"hub", "adapters", "schemas", "signing", "queues"} <= copied
    assert "tooling" not in copied
