"""Every hostile input in the corpus is refused with its exact code, recorded, and not stored.

Static cases are read from the committed ``corpus/`` files; signed cases are built per test
with the session's dev PKI (make_corpus.py). For each: ingest raises ``Rejection`` with the
case's code, one rejection row with that code and the message's hash is added, and
message_log and outbox_delivery are unchanged, nothing handed to the queue.
"""

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from hub.errors import REJECTION_CODES, Rejection
from hub.ingest import Ingestor
from hub.store import MessageLog, OutboxDelivery
from hub.store import Rejection as RejectionRow
from signing import DevPki
from tests.conftest import Enqueued
from tests.factories import Signers, make_envelope
from tests.security.make_corpus import (
    CORPUS_DIR,
    SIGNED_CASES,
    STATIC_CASES,
    Kit,
    generate_static,
)

#: Values from the sample payload that must never reach a rejection's detail.
_PERSONAL_VALUES = ("Сорокина", "Ключевская")


def _count(session_factory: sessionmaker[Session], model: type) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def assert_refused(
    ingestor: Ingestor,
    session_factory: sessionmaker[Session],
    enqueued: Enqueued,
    raw: bytes,
    code: str,
    *,
    authenticated: str = "police",
) -> None:
    """``raw`` is refused with ``code``, recorded without payload, and nothing is stored."""
    logged, delivered = _count(session_factory, MessageLog), _count(session_factory, OutboxDelivery)
    rejected, queued = _count(session_factory, RejectionRow), len(enqueued.rows)

    with pytest.raises(Rejection) as caught:
        ingestor.ingest(raw, authenticated=authenticated)

    assert caught.value.code == code, caught.value.detail
    assert _count(session_factory, MessageLog) == logged
    assert _count(session_factory, OutboxDelivery) == delivered
    assert len(enqueued.rows) == queued
    assert _count(session_factory, RejectionRow) == rejected + 1
    with session_factory() as session:
        row = session.scalars(select(RejectionRow).order_by(RejectionRow.id.desc())).first()
    assert row is not None
    assert (row.code, row.status) == (code, REJECTION_CODES[code].status)
    assert row.sha256 == hashlib.sha256(raw).hexdigest()
    assert row.size_bytes == len(raw)
    assert not any(value in row.detail for value in _PERSONAL_VALUES)


def test_the_rejection_table_has_no_column_for_the_payload() -> None:
    columns = {column.key for column in inspect(RejectionRow).columns}
    assert not columns & {"raw", "payload", "body", "content"}


def test_the_committed_corpus_equals_a_fresh_generation(tmp_path: Path) -> None:
    generate_static(tmp_path)
    fresh = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
    committed = {path.name: path.read_bytes() for path in CORPUS_DIR.iterdir()}
    assert sorted(committed) == sorted(fresh), "run: python -m tests.security.make_corpus"
    assert [name for name in fresh if committed[name] != fresh[name]] == []


def test_the_corpus_has_at_least_fifty_cases_with_known_codes() -> None:
    cases = {**STATIC_CASES, **SIGNED_CASES}
    assert len(cases) == len(STATIC_CASES) + len(SIGNED_CASES)  # no name in both tables
    assert len(cases) >= 50
    assert {code for _, code in cases.values()} <= REJECTION_CODES.keys()


@pytest.mark.parametrize("name", sorted(STATIC_CASES))
def test_static_hostile_file_is_refused(
    name: str,
    ingestor: Ingestor,
    session_factory: sessionmaker[Session],
    enqueued: Enqueued,
) -> None:
    _, code = STATIC_CASES[name]
    raw = (CORPUS_DIR / name).read_bytes()
    assert_refused(ingestor, session_factory, enqueued, raw, code)


@pytest.mark.parametrize("name", sorted(SIGNED_CASES))
def test_signed_hostile_message_is_refused(
    name: str,
    ingestor: Ingestor,
    session_factory: sessionmaker[Session],
    enqueued: Enqueued,
    signers: Signers,
    pki: DevPki,
) -> None:
    build, code = SIGNED_CASES[name]
    raw = build(Kit(signers=signers, pki=pki))
    assert_refused(ingestor, session_factory, enqueued, raw, code)


def test_replay_of_an_accepted_message_is_refused(
    ingestor: Ingestor,
    session_factory: sessionmaker[Session],
    enqueued: Enqueued,
    signers: Signers,
) -> None:
    # Given a message the hub accepted
    raw = signers.sign(make_envelope(sender="police"))
    ingestor.ingest(raw, authenticated="police")
    # When the same bytes arrive again, Then they are refused and nothing more is stored
    assert_refused(ingestor, session_factory, enqueued, raw, "replay.duplicate")


def test_replay_under_another_api_key_is_refused(
    ingestor: Ingestor,
    session_factory: sessionmaker[Session],
    enqueued: Enqueued,
    signers: Signers,
) -> None:
    raw = signers.sign(make_envelope(sender="police"))
    assert_refused(
        ingestor, session_factory, enqueued, raw, "auth.sender_mismatch", authenticated="kdn"
    )
