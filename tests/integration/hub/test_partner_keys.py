"""Partners' API keys: argon2id at rest, rotation with an overlap, revocation, old keys migrated."""

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from hub.cli.app import app
from hub.errors import Rejection
from hub.partners import (
    PartnerKeys,
    authenticate,
    authenticate_code,
    register_partner,
    rotate_api_key,
)
from hub.store import DeliveryMode, Partner, PartnerApiKey, make_engine, make_session_factory
from hub.store.migrate import upgrade

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def register(session: Session, code: str = "health") -> str:
    _, key = register_partner(
        session,
        code=code,
        organisation="ГБУЗ «Роддом»",
        adapter=code,
        delivery_mode=DeliveryMode.PUSH,
        endpoint="http://127.0.0.1:9",
        now=NOW,
    )
    return key.secret_key


def refused(session: Session, key: str, *, now: datetime) -> str:
    with pytest.raises(Rejection) as refusal:
        authenticate(session, key, now=now)
    return refusal.value.code


@pytest.mark.usefixtures("argon2_as_in_production")
def test_keys_are_stored_as_argon2id_and_never_in_clear(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as session:
        key = register(session)
    with session_factory() as session:
        [row] = session.query(PartnerApiKey).all()
        # OWASP's minimum argon2id profile (19 MiB, 2 passes, 1 lane): the secret is random
        assert row.key_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
        # hubk_<key id>_<secret>: the secret, which may itself hold "_", is all after the id
        assert key.split("_", 2)[2] not in row.key_hash
        assert authenticate(session, key, now=NOW).code == "health"


def test_a_rotated_key_keeps_working_for_the_overlap_then_stops(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as session:
        old = register(session)
        new = rotate_api_key(session, "health", now=NOW, overlap=timedelta(hours=24)).secret_key
    with session_factory() as session:
        # During the overlap both work, so the partner switches without an outage.
        assert authenticate(session, old, now=NOW + timedelta(hours=23)).code == "health"
        assert authenticate(session, new, now=NOW + timedelta(hours=23)).code == "health"
        # After it, only the new one (the verification remembered in memory does not help).
        assert refused(session, old, now=NOW + timedelta(hours=24)) == "auth.invalid_credentials"
        assert authenticate(session, new, now=NOW + timedelta(days=30)).code == "health"


def test_registering_again_revokes_the_old_key_at_once(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as session:
        old = register(session)
    with session_factory() as session:
        assert authenticate(session, old, now=NOW).code == "health"
    with session_factory.begin() as session:
        new = register(session)
    with session_factory() as session:
        assert refused(session, old, now=NOW) == "auth.invalid_credentials"
        assert authenticate(session, new, now=NOW).code == "health"


def test_the_api_path_refuses_a_revoked_key_or_disabled_partner_on_the_next_request(
    engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    """The API checks keys in read-only sessions; nothing remembered there outlives a change."""
    reads = make_session_factory(engine, read_only=True)
    with session_factory.begin() as session:
        key = register(session)
    with reads() as session:
        assert authenticate_code(session, key, now=NOW) == "health"
    with session_factory.begin() as session:
        session.query(Partner).filter_by(code="health").update({"active": False})
    with reads() as session, pytest.raises(Rejection) as refusal:
        authenticate_code(session, key, now=NOW)
    assert refusal.value.code == "auth.partner_inactive"
    with session_factory.begin() as session:
        session.query(Partner).filter_by(code="health").update({"active": True})
        session.query(PartnerApiKey).update({"revoked_at": NOW})
    with reads() as session, pytest.raises(Rejection) as refusal:
        authenticate_code(session, key, now=NOW)
    assert refusal.value.code == "auth.invalid_credentials"


class Seconds:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_remembered_key_is_refused_once_its_standing_is_read_again(
    engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    # Given a key that passed once, remembered for 5 s
    seconds = Seconds()
    keys = PartnerKeys(make_session_factory(engine, read_only=True), ttl_s=5, clock=seconds)
    with session_factory.begin() as session:
        key = register(session)
    assert keys.authenticate_code(key, now=NOW) == "health"

    # When the hub revokes it (registering the partner again issues a new key)
    with session_factory.begin() as session:
        new = register(session)

    # Then it passes from memory within the 5 s, and is refused from the database after
    seconds.now = 4.9
    assert keys.authenticate_code(key, now=NOW) == "health"
    seconds.now = 5.0
    with pytest.raises(Rejection) as refusal:
        keys.authenticate_code(key, now=NOW)
    assert refusal.value.code == "auth.invalid_credentials"
    # And the key issued a moment ago passes at once: nothing refused is remembered
    assert keys.authenticate_code(new, now=NOW) == "health"


def test_a_remembered_key_stops_at_its_expiry_and_a_disabled_partner_within_the_bound(
    engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    seconds = Seconds()
    keys = PartnerKeys(make_session_factory(engine, read_only=True), ttl_s=5, clock=seconds)
    with session_factory.begin() as session:
        old = register(session)
        rotate_api_key(session, "health", now=NOW, overlap=timedelta(hours=1))
    assert keys.authenticate_code(old, now=NOW) == "health"

    # The rotation's overlap ends at its moment, remembered or not
    with pytest.raises(Rejection) as expired:
        keys.authenticate_code(old, now=NOW + timedelta(hours=1))
    assert expired.value.code == "auth.invalid_credentials"

    # A disabled partner is refused once the remembered standing is read again
    assert keys.authenticate_code(old, now=NOW) == "health"
    with session_factory.begin() as session:
        session.query(Partner).filter_by(code="health").update({"active": False})
    seconds.now = 5.0
    with pytest.raises(Rejection) as disabled:
        keys.authenticate_code(old, now=NOW)
    assert disabled.value.code == "auth.partner_inactive"


@pytest.mark.parametrize(
    "tampered",
    [
        lambda key: key[:-1] + ("A" if key[-1] != "A" else "B"),  # wrong secret
        lambda key: key.replace("hubk_", "hubx_"),  # wrong scheme
        lambda key: "hubk_" + "0" * 16 + "_" + key.rsplit("_", 1)[1],  # unknown key id
    ],
    ids=["secret", "prefix", "key-id"],
)
def test_a_wrong_key_is_refused(session_factory: sessionmaker[Session], tampered: object) -> None:
    with session_factory.begin() as session:
        key = register(session)
    with session_factory() as session:
        assert callable(tampered)
        assert refused(session, tampered(key), now=NOW) == "auth.invalid_credentials"


def test_the_cli_rotates_a_key_into_the_partner_bundle(
    session_factory: sessionmaker[Session], database_url: str, tmp_path: object
) -> None:
    with session_factory.begin() as session:
        old = register(session)
    env = {"HUB_DATA_DIR": str(tmp_path), "DATABASE_URL": database_url}

    result = CliRunner().invoke(
        app, ["partners", "rotate-key", "health", "--overlap-hours", "1"], env=env
    )

    assert result.exit_code == 0, result.output
    new = (tmp_path / "partners" / "health" / "api_key").read_text().strip()  # type: ignore[operator]
    assert new.startswith("hubk_")
    assert new in result.output.replace("\n", "")
    with session_factory() as session:
        now = datetime.now(UTC)
        assert authenticate(session, old, now=now).code == "health"
        assert authenticate(session, new, now=now).code == "health"
        assert refused(session, old, now=now + timedelta(hours=2)) == "auth.invalid_credentials"


@pytest.fixture
def database_before_0005(empty_database_url: str) -> Iterator[Engine]:
    engine = make_engine(empty_database_url)
    upgrade(engine, "0004")
    yield engine
    engine.dispose()


def test_keys_issued_before_argon2_keep_working_after_the_migration(
    database_before_0005: Engine,
) -> None:
    # Given a partner whose key was stored the old way (SHA-256 of the secret)
    secret = "legacy-secret-of-256-bits-for-the-test-only"
    with database_before_0005.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO partner (code, organisation, adapter, delivery_mode, endpoint,"
                " api_key_id, api_key_hash, active, created_at, paused)"
                " VALUES ('police', 'ОМВД', 'police', 'pull', NULL, 'abcdef0123456789',"
                " :hash, :active, :now, :paused)"
            ),
            {
                "hash": hashlib.sha256(secret.encode()).hexdigest(),
                "active": True,
                "now": NOW.replace(tzinfo=None),
                "paused": False,
            },
        )

    # When the database is upgraded
    upgrade(database_before_0005)

    # Then the partner's key still authenticates, and a wrong secret still does not
    with make_session_factory(database_before_0005)() as session:
        key = f"hubk_abcdef0123456789_{secret}"
        assert authenticate(session, key, now=NOW).code == "police"
        assert refused(session, key + "x", now=NOW) == "auth.invalid_credentials"
