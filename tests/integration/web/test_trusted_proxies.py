"""``X-Forwarded-For`` counts only from the peers of ``HUB_TRUSTED_PROXIES``: over real HTTP, a
client that names itself another address cannot slip the per-address login limit."""

from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from adapters.simulation import SimulatorServer
from hub.app import create_app
from hub.config import Settings
from hub.runtime import build_runtime
from hub.store import AuditEntry, LoginAttempt
from signing import DevPki

SPOOFED = ["203.0.113.1", "203.0.113.2", "203.0.113.3"]


def _three_wrong_logins(settings: Settings) -> tuple[list[int], list[str], list[str]]:
    """Three wrong logins, each for another account and claiming another address: the
    answers' statuses, and the clients the attempts and the audit recorded."""
    runtime = build_runtime(settings)
    try:
        with (
            SimulatorServer(create_app(runtime)) as server,
            httpx.Client(base_url=server.url, timeout=30) as http,
        ):
            statuses = [
                http.post(
                    "/api/v1/session",
                    json={"login": f"guess{n}", "password": "неверный-пароль"},
                    headers={"X-Forwarded-For": address},
                ).status_code
                for n, address in enumerate(SPOOFED)
            ]
        with runtime.session_factory() as session:
            attempts = list(session.scalars(select(LoginAttempt.client).order_by(LoginAttempt.id)))
            audited = list(session.scalars(select(AuditEntry.client).order_by(AuditEntry.id)))
    finally:
        runtime.close()
    return statuses, attempts, [client or "" for client in audited]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_spoofed_address_from_an_untrusted_peer_does_not_change_the_limiters_key(
    data_dir: Path, database_url: str, pki: DevPki
) -> None:
    # Given a hub with no trusted proxy and a limit of two failures per address
    settings = Settings(
        data_dir=data_dir, database_url=database_url, broker_url="stub://", login_max_failures=2
    )
    # When one loopback client tries three accounts, naming a new address each time
    statuses, attempts, audited = _three_wrong_logins(settings)
    # Then all count for its real address, and the third is throttled
    assert statuses == [401, 401, 429]
    assert attempts == ["127.0.0.1", "127.0.0.1"]
    assert set(audited) == {"127.0.0.1"}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_address_a_trusted_proxy_forwards_is_the_clients(
    data_dir: Path, database_url: str, pki: DevPki
) -> None:
    # Given the loopback network configured as the reverse proxy in front of the hub
    settings = Settings(
        data_dir=data_dir,
        database_url=database_url,
        broker_url="stub://",
        login_max_failures=2,
        trusted_proxies="10.0.0.5, 127.0.0.0/8",
    )
    # When it forwards three clients' wrong logins
    statuses, attempts, audited = _three_wrong_logins(settings)
    # Then each is counted, and audited, under its own address: none is throttled
    assert statuses == [401, 401, 401]
    assert attempts == SPOOFED
    assert audited == SPOOFED
