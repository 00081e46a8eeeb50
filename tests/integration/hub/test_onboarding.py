"""Onboarding that cannot hurt: `hub partners add` never re-keys a partner, and
`hub partners set-endpoint` changes where it is delivered, checked, audited, and taken up
by a running worker. The CLI through typer's runner, on SQLite and PostgreSQL."""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner, Result

from adapters.simulation import GatewayClient, SimulatorServer
from adapters.social import simulator as social_simulator
from hub.cli.app import app
from hub.partners import authenticate
from hub.store import AuditEntry, Partner, PartnerApiKey, PartnerCertificate
from signing import DevPki
from tests.factories import Signers, make_envelope
from tests.integration.queues.queue_helpers import wait_until
from tests.stack import RunningHub, fast_settings, running_hub


@pytest.fixture
def hub(data_dir: Path, database_url: str, pki: DevPki) -> CliRunner:
    """The ``hub`` command on this test's data folder and database."""
    return CliRunner(env={"HUB_DATA_DIR": str(data_dir), "DATABASE_URL": database_url})


def run(hub: CliRunner, *args: str) -> Result:
    return hub.invoke(app, list(args))


def ok(hub: CliRunner, *args: str) -> str:
    result = run(hub, *args)
    assert result.exit_code == 0, result.output
    return result.output


def _flat(output: str) -> str:
    """The output with rich's line wrapping undone."""
    return " ".join(output.split())


def _counts(session_factory: sessionmaker[Session]) -> tuple[int, int, int]:
    with session_factory() as session:
        return (
            session.scalar(select(func.count()).select_from(PartnerApiKey)) or 0,
            session.scalar(select(func.count()).select_from(PartnerCertificate)) or 0,
            session.scalar(select(func.count()).select_from(AuditEntry)) or 0,
        )


def _partner(session_factory: sessionmaker[Session], code: str) -> Partner:
    with session_factory() as session:
        return session.scalars(select(Partner).where(Partner.code == code)).one()


def test_adding_a_partner_that_exists_is_refused_and_changes_nothing(
    hub: CliRunner, data_dir: Path, pki: DevPki, session_factory: sessionmaker[Session]
) -> None:
    # Given the social centre onboarded, its bundle handed over
    ok(hub, "partners", "add", "social", "-o", "КЦСОН", "--endpoint", "http://10.0.0.5:8080")
    bundle = data_dir / "partners" / "social"
    handed_over = {path.name: path.read_bytes() for path in bundle.iterdir()}
    issued = pki.credentials("social").cert_path.read_bytes()
    before = _counts(session_factory)

    # When someone runs the same command again (even with other values)
    again = run(hub, "partners", "add", "social", "-o", "Другое", "--endpoint", "http://evil:1")

    # Then it is refused, pointing to the commands that do change a partner
    assert again.exit_code == 1
    said = _flat(again.output)
    assert "registered already" in said
    assert "hub partners rotate-key social" in said
    assert "hub partners rotate-cert social" in said
    assert "hub partners set-endpoint social" in said
    # And nothing changed: no key, no certificate, no audit entry, the bundle as handed over
    assert _counts(session_factory) == before
    assert {path.name: path.read_bytes() for path in bundle.iterdir()} == handed_over
    assert pki.credentials("social").cert_path.read_bytes() == issued
    social = _partner(session_factory, "social")
    assert (social.organisation, social.endpoint) == ("КЦСОН", "http://10.0.0.5:8080")
    with session_factory() as session:
        api_key = handed_over["api_key"].decode().strip()
        assert authenticate(session, api_key, now=datetime.now(UTC)).code == "social"


def test_a_partner_gets_the_key_algorithm_it_is_added_with(
    hub: CliRunner, pki: DevPki, session_factory: sessionmaker[Session]
) -> None:
    # An ECDSA key from the RSA PKI; a GOST key it cannot certify is refused, nothing issued
    ok(hub, "partners", "add", "health", "-o", "ГБУЗ", "--endpoint", "http://10.0.0.6:8080",
       "--key", "ec")  # fmt: skip
    key = pki.signing_key("health").certificate.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    issued = pki.credentials("employment").cert_path.read_bytes()
    refused = run(hub, "partners", "add", "employment", "-o", "ЦЗН",
                  "--endpoint", "http://10.0.0.7:8080", "--key", "gost256")  # fmt: skip
    assert refused.exit_code == 1
    assert "this PKI is rsa: it does not issue gost256 keys" in _flat(refused.output)
    assert pki.credentials("employment").cert_path.read_bytes() == issued
    with session_factory() as session:
        assert session.scalars(select(Partner.code)).all() == ["health"]


def test_set_endpoint_changes_it_with_an_audit_entry_that_hub_audit_shows(
    hub: CliRunner, session_factory: sessionmaker[Session]
) -> None:
    ok(hub, "partners", "add", "social", "-o", "КЦСОН", "--endpoint", "http://10.0.0.5:8080")

    said = ok(
        hub,
        *("partners", "set-endpoint", "social", "https://social.example.ru:8443/hub"),
        *("--reason", "переезд ЦОД, заявка 1187"),
    )

    assert "https://social.example.ru:8443/hub" in _flat(said)
    assert _partner(session_factory, "social").endpoint == "https://social.example.ru:8443/hub"
    with session_factory() as session:
        entry = session.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.reason, entry.login) == (
        "partner.set_endpoint",
        "переезд ЦОД, заявка 1187",
        entry.login,
    )
    assert entry.login.startswith("cli:")
    assert entry.detail == (
        "partner=social endpoint=https://social.example.ru:8443/hub earlier=http://10.0.0.5:8080"
    )
    audit = _flat(ok(hub, "audit"))
    assert "partner.set_endpoint" in audit
    assert "переезд ЦОД, заявка 1187" in audit


@pytest.mark.parametrize(
    ("code", "url", "reason", "refusal"),
    [
        ("nobody", "http://10.0.0.9", "новый адрес", "ops.unknown_partner"),
        ("social", "http://10.0.0.9", "   ", "ops.reason_required"),
        ("social", "ftp://10.0.0.9/in", "новый адрес", "ops.invalid_endpoint"),
        ("social", "http://", "новый адрес", "ops.invalid_endpoint"),
        ("social", "10.0.0.9:8080", "новый адрес", "ops.invalid_endpoint"),
        ("social", "http://10.0.0.9:99999", "новый адрес", "ops.invalid_endpoint"),
        ("social", "https://user:secret@10.0.0.9", "новый адрес", "ops.invalid_endpoint"),
        ("education", "https://school.example.ru", "новый адрес", "ops.invalid_endpoint"),
        ("police", "https://police.example.ru", "новый адрес", "ops.invalid_endpoint"),
    ],
    ids=[
        "unknown",
        "blank-reason",
        "scheme",
        "no-host",
        "no-scheme",
        "bad-port",
        "credentials",
        "school-takes-files",
        "pull-partner",
    ],
)
def test_set_endpoint_refuses_with_its_code_and_changes_nothing(
    hub: CliRunner,
    session_factory: sessionmaker[Session],
    code: str,
    url: str,
    reason: str,
    refusal: str,
) -> None:
    ok(hub, "partners", "add", "social", "-o", "КЦСОН", "--endpoint", "http://10.0.0.5:8080")
    ok(hub, "partners", "add", "education", "-o", "Школа № 3", "--endpoint", "file:///srv/s3")
    ok(hub, "partners", "add", "police", "-o", "ОМВД")
    before = _counts(session_factory)

    result = run(hub, "partners", "set-endpoint", code, url, "--reason", reason)

    assert result.exit_code == 1
    assert refusal in result.output
    assert "secret" not in result.output
    assert _counts(session_factory) == before
    assert _partner(session_factory, "social").endpoint == "http://10.0.0.5:8080"
    assert _partner(session_factory, "education").endpoint == "file:///srv/s3"
    assert _partner(session_factory, "police").endpoint is None


def test_set_endpoint_needs_a_reason_and_a_school_takes_a_folder(
    hub: CliRunner, session_factory: sessionmaker[Session]
) -> None:
    ok(hub, "partners", "add", "education", "-o", "Школа № 3", "--endpoint", "file:///srv/s3")

    no_reason = run(hub, "partners", "set-endpoint", "education", "file:///srv/s4")
    moved = run(
        hub,
        *("partners", "set-endpoint", "education", "file:///srv/s4?encoding=cp1251"),
        *("--reason", "школа перешла на cp1251"),
    )

    assert no_reason.exit_code == 2  # typer: the option is required
    assert "--reason" in no_reason.output
    assert moved.exit_code == 0, moved.output
    assert _partner(session_factory, "education").endpoint == "file:///srv/s4?encoding=cp1251"


def test_adding_with_an_endpoint_its_adapter_cannot_use_is_refused(
    hub: CliRunner, session_factory: sessionmaker[Session]
) -> None:
    result = run(hub, "partners", "add", "social", "-o", "КЦСОН", "--endpoint", "10.0.0.5:8080")

    assert result.exit_code == 1
    assert "endpoint of social" in _flat(result.output)
    with session_factory() as session:
        assert session.scalars(select(Partner)).all() == []


@pytest.fixture
def stack(data_dir: Path, database_url: str, redis_url: str, pki: DevPki) -> Iterator[RunningHub]:
    """The hub, a worker (its transports cached per partner) and the simulators."""
    with running_hub(fast_settings(data_dir, database_url, redis_url), pki) as running:
        yield running


def test_a_running_worker_delivers_to_the_new_endpoint_from_the_next_message(
    stack: RunningHub, hub: CliRunner, pki: DevPki, data_dir: Path
) -> None:
    # Given the social centre's system moving to a new server, running already (beside the
    # same gateway)
    client = GatewayClient(stack.gateways["social"].url)
    moved = SimulatorServer(social_simulator.create_app(data_dir / "sim" / "moved", client))
    moved.start()
    try:
        old = stack.simulators["social"].url
        first = _referral(stack, pki)
        wait_until(lambda: first in _received(old), what="the first referral at the old server")

        # When an operator points the hub at the new server, the worker running on
        ok(hub, "partners", "set-endpoint", "social", moved.url, "--reason", "новый сервер")
        second = _referral(stack, pki)

        # Then the next referral arrives at the new server, and none more at the old one
        wait_until(lambda: second in _received(moved.url), what="the next one at the new server")
        assert _received(old) == [first]
        assert _received(moved.url) == [second]
    finally:
        moved.stop()
        client.close()


def _referral(stack: RunningHub, pki: DevPki) -> str:
    """Send a police referral (to the social centre and the commission); its MessageId."""
    envelope = make_envelope("FamilyReferral", sender="police")
    response = httpx.post(
        f"{stack.url}/api/v1/messages",
        content=Signers(pki).sign(envelope),
        headers={
            "Content-Type": "application/xml",
            "Authorization": f"Bearer {stack.api_keys['police']}",
        },
        timeout=10,
    )
    assert response.status_code == 202, response.text
    message_id = response.json()["message_id"]
    assert isinstance(message_id, str)
    return message_id


def _received(url: str) -> list[str]:
    items = httpx.get(url + "/state", timeout=5).json()["received"]
    return [item["message_id"] for item in items]
