"""Ingest on real SQLite and PostgreSQL with real signatures: accepted, refused, recorded.

Each rejection class is provoked and asserted by its code; a refused message is
recorded and leaves no log entry and no delivery behind.
"""

import hashlib
import json
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree
from sqlalchemy import Connection, Engine, event, func, select
from sqlalchemy.orm import Session, sessionmaker

from hub.config import Settings
from hub.errors import Rejection
from hub.ingest import (
    GENESIS_HASH,
    Ingestor,
    build_ingestor,
    chain_link,
    link_digest,
    link_record,
    link_values,
    verify_chain,
)
from hub.store import DeliveryMode, DeliveryStatus, MessageLog, OutboxDelivery, Partner
from hub.store import Rejection as RejectionRow
from schemas import ENVELOPE_NS
from signing import DevPki, XmlSigner
from tests.conftest import Enqueued
from tests.factories import Signers, make_envelope

E = f"{{{ENVELOPE_NS}}}"


def _count(session_factory: sessionmaker[Session], model: type) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _refused(
    ingestor: Ingestor,
    session_factory: sessionmaker[Session],
    raw: bytes,
    code: str,
    *,
    authenticated: str | None = "police",
) -> Rejection:
    """Assert ``raw`` is refused with ``code``, recorded, and nothing accepted or queued."""
    logged_before = _count(session_factory, MessageLog)
    with pytest.raises(Rejection) as caught:
        ingestor.ingest(raw, authenticated=authenticated)
    assert caught.value.code == code, caught.value.detail
    with session_factory() as session:
        last = session.scalars(select(RejectionRow).order_by(RejectionRow.id.desc())).first()
    assert last is not None
    assert last.code == code
    assert last.sha256 == hashlib.sha256(raw).hexdigest()
    assert _count(session_factory, MessageLog) == logged_before
    return caught.value


def test_referral_is_logged_chained_and_routed_to_social_and_kdn(
    ingestor: Ingestor,
    session_factory: sessionmaker[Session],
    signers: Signers,
    enqueued: Enqueued,
) -> None:
    raw = signers.sign(make_envelope("FamilyReferral", sender="police", priority="urgent"))

    receipt = ingestor.ingest(raw, authenticated="police")

    assert sorted(d.recipient for d in receipt.deliveries) == ["kdn", "social"]
    assert {d.status for d in receipt.deliveries} == {"pending"}
    assert sorted(enqueued.rows) == [("kdn", "urgent"), ("social", "urgent")]
    with session_factory() as session:
        logged = session.get_one(MessageLog, receipt.hub_id)
        assert logged.raw == raw  # the original signed bytes, as received
        assert logged.prev_hash == GENESIS_HASH
        record = link_record(link_values(logged))
        assert json.loads(record)["sha256"] == hashlib.sha256(raw).hexdigest()
        assert logged.chain_hash == chain_link(GENESIS_HASH, hashlib.sha256(record).hexdigest())
        rows = session.scalars(select(OutboxDelivery)).all()
    assert {r.status for r in rows} == {DeliveryStatus.PENDING}
    # The outbound copy is the hub's, not the partner's: it verifies under the hub's key.
    assert all(b"<ds:X509Certificate>" in r.payload and r.payload != raw for r in rows)


def test_the_log_is_a_hash_chain(
    ingestor: Ingestor, session_factory: sessionmaker[Session], signers: Signers
) -> None:
    for _ in range(3):
        ingestor.ingest(signers.sign(make_envelope(sender="police")), authenticated="police")
    with session_factory() as session:
        rows = session.scalars(select(MessageLog).order_by(MessageLog.id)).all()
    previous = GENESIS_HASH
    for row in rows:
        # Each link covers the row's columns (sender, times, …), the bytes' hash among them.
        record = json.loads(link_record(link_values(row)))
        assert (record["sender"], record["sha256"]) == ("police", row.sha256)
        assert row.prev_hash == previous
        assert row.chain_hash == chain_link(previous, link_digest(link_values(row)))
        previous = row.chain_hash


def test_reply_goes_back_to_the_referrer_through_its_inbox(
    ingestor: Ingestor, signers: Signers, enqueued: Enqueued
) -> None:
    referral = make_envelope("FamilyReferral", sender="police")
    ingestor.ingest(signers.sign(referral), authenticated="police")
    referral_id = referral.findtext(f"{E}Header/{E}MessageId")
    assert referral_id
    pushed_before = len(enqueued.rows)

    receipt = ingestor.ingest(
        signers.sign(make_envelope("ReferralReceipt", sender="social", correlation_id=referral_id)),
        authenticated="social",
    )

    assert [(d.recipient, d.mode) for d in receipt.deliveries] == [("police", "pull")]
    assert len(enqueued.rows) == pushed_before  # pull deliveries are not queued


def test_same_message_twice_is_applied_once(
    ingestor: Ingestor, session_factory: sessionmaker[Session], signers: Signers
) -> None:
    raw = signers.sign(make_envelope(sender="police"))
    first = ingestor.ingest(raw, authenticated="police")

    rejection = _refused(ingestor, session_factory, raw, "replay.duplicate")

    assert rejection.status == 409
    assert rejection.extra == {"hub_id": first.hub_id}
    assert _count(session_factory, MessageLog) == 1
    assert _count(session_factory, OutboxDelivery) == 2


def test_another_senders_message_id_is_refused_as_taken(
    ingestor: Ingestor,
    session_factory: sessionmaker[Session],
    signers: Signers,
    enqueued: Enqueued,
) -> None:
    # Given a referral the police sent under id X
    taken = str(uuid.uuid4())
    first = ingestor.ingest(
        signers.sign(make_envelope(sender="police", message_id=taken)), authenticated="police"
    )
    queued = list(enqueued.rows)

    # When the hospital sends its own referral under the same id
    raw = signers.sign(make_envelope(sender="health", message_id=taken))
    rejection = _refused(
        ingestor, session_factory, raw, "replay.message_id_taken", authenticated="health"
    )

    # Then it is refused, recorded, and nothing of it is stored or queued
    assert rejection.status == 409
    # The refusal says nothing of the message holding the id: neither sender nor hub id.
    assert rejection.extra == {}
    assert rejection.detail == f"MessageId {taken} is taken"
    assert enqueued.rows == queued
    assert _count(session_factory, OutboxDelivery) == len(first.deliveries)
    with session_factory() as session:
        recorded = session.scalars(select(RejectionRow)).one()
    assert (recorded.claimed_sender, recorded.claimed_message_id) == ("health", taken)


@pytest.mark.parametrize("sender", ["police", "health"])
def test_two_senders_racing_with_one_message_id_one_is_accepted(
    ingestor: Ingestor,
    session_factory: sessionmaker[Session],
    signers: Signers,
    sender: str,
) -> None:
    # Given the police and another sender (or the police again) posting one id at once
    taken = str(uuid.uuid4())
    raws = {
        "police": signers.sign(make_envelope(sender="police", message_id=taken)),
        sender + "'": signers.sign(make_envelope(sender=sender, message_id=taken)),
    }
    start = threading.Barrier(len(raws))
    outcomes: dict[str, str] = {}

    def send(name: str, raw: bytes) -> None:
        start.wait()
        try:
            ingestor.ingest(raw, authenticated=name.rstrip("'"))
            outcomes[name] = "accepted"
        except Rejection as rejection:
            outcomes[name] = rejection.code

    threads = [threading.Thread(target=send, args=item) for item in raws.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then exactly one is accepted; the other gets the code of who holds the id
    refused = "replay.duplicate" if sender == "police" else "replay.message_id_taken"
    assert sorted(outcomes.values()) == sorted(["accepted", refused])
    with session_factory() as session:
        assert session.scalars(select(MessageLog.message_id)).all() == [taken]


# Only where two writers run at once: SQLite takes one at a time, so nothing can slip past.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize(
    ("sender", "code"), [("police", "replay.duplicate"), ("health", "replay.message_id_taken")]
)
def test_when_the_unique_index_decides_the_race_the_refusal_is_the_same(
    ingestor: Ingestor,
    session_factory: sessionmaker[Session],
    signers: Signers,
    engine: Engine,
    sender: str,
    code: str,
) -> None:
    assert engine.dialect.name == "postgresql"
    # Given the police's message under id X committed by another process just after
    # this ingest found X free (between its check and its insert)
    taken = str(uuid.uuid4())
    holder = signers.sign(make_envelope(sender="police", message_id=taken))
    slipped: list[int] = []

    def commit_holder_after_check(
        conn: Connection,
        cursor: object,
        statement: str,
        parameters: object,
        context: object,
        executemany: bool,
    ) -> None:
        if slipped or "FROM message_log" not in statement or taken not in str(parameters):
            return
        with Session(engine) as other, other.begin():
            slipped.append(_log_directly(other, holder, sender="police", message_id=taken))

    event.listen(engine, "after_cursor_execute", commit_holder_after_check)
    try:
        with pytest.raises(Rejection) as caught:
            ingestor.ingest(
                signers.sign(make_envelope(sender=sender, message_id=taken)), authenticated=sender
            )
    finally:
        event.remove(engine, "after_cursor_execute", commit_holder_after_check)

    # Then the unique index refused it, mapped to the code a plain check gives, recorded
    assert slipped
    assert caught.value.code == code
    assert caught.value.extra == ({"hub_id": slipped[0]} if sender == "police" else {})
    with session_factory() as session:
        assert session.scalars(select(MessageLog.id)).all() == slipped
        assert session.scalars(select(RejectionRow.code)).all() == [code]


def _log_directly(session: Session, raw: bytes, *, sender: str, message_id: str) -> int:
    """A log row written past ingest, as a racing writer's commit would land."""
    digest = hashlib.sha256(raw).hexdigest()
    now = datetime.now(UTC)
    row = MessageLog(
        message_id=message_id,
        sender=sender,
        message_type="FamilyReferral",
        schema_version="1.0",
        priority="routine",
        created_at=now,
        received_at=now,
        raw=raw,
        sha256=digest,
        prev_hash=GENESIS_HASH,
        chain_hash=chain_link(GENESIS_HASH, digest),
        signer_fingerprint=digest,
    )
    session.add(row)
    session.flush()
    return row.id


def _tamper_text(raw: bytes, old: str, new: str) -> bytes:
    assert old.encode() in raw
    return raw.replace(old.encode(), new.encode(), 1)


HOSTILE: dict[str, tuple[Callable[[Signers], bytes], str]] = {
    "not_xml": (lambda s: b"this is not xml", "xml.malformed"),
    "truncated": (lambda s: s.sign(make_envelope(sender="police"))[:-40], "xml.malformed"),
    "xxe_file": (
        lambda s: (
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b"<Envelope>&x;</Envelope>"
        ),
        "xml.forbidden_construct",
    ),
    "billion_laughs": (
        lambda s: (
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
            b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><r>&c;</r>'
        ),
        "xml.forbidden_construct",
    ),
    "deep_nesting": (lambda s: b"<a>" * 10_000 + b"</a>" * 10_000, "xml.too_deep"),
    "envelope_without_message_type": (
        lambda s: etree.tostring(_without(make_envelope(sender="police"), "MessageType")),
        "envelope.invalid",
    ),
    "unsigned": (lambda s: etree.tostring(make_envelope(sender="police")), "signature.missing"),
    "body_changed_after_signing": (
        lambda s: _tamper_text(s.sign(make_envelope(sender="police")), "Ключевская", "Садовая"),
        "signature.digest_mismatch",
    ),
    "signer_is_not_sender": (
        lambda s: s.sign(make_envelope(sender="police"), "social"),
        "signature.signer_not_sender",
    ),
    "unknown_version": (
        lambda s: s.sign(_with_version(make_envelope(sender="police"), "9.9")),
        "schema.unsupported_version",
    ),
    "schema_invalid_body": (
        lambda s: s.sign(_without_payload_field(make_envelope(sender="police"), "Children")),
        "payload.invalid",
    ),
    "stale": (
        lambda s: s.sign(
            make_envelope(sender="police", created_at=datetime.now(UTC) - timedelta(days=3))
        ),
        "replay.stale",
    ),
    "from_the_future": (
        lambda s: s.sign(
            make_envelope(sender="police", created_at=datetime.now(UTC) + timedelta(hours=1))
        ),
        "replay.future",
    ),
    "type_not_allowed_for_sender": (
        lambda s: s.sign(
            make_envelope("ReferralReceipt", sender="police", correlation_id=_any_uuid())
        ),
        "auth.type_not_allowed",
    ),
}


def _any_uuid() -> str:
    return "00000000-0000-4000-8000-000000000000"


def _without(envelope: etree._Element, header_field: str) -> etree._Element:
    element = envelope.find(f"{E}Header/{E}{header_field}")
    assert element is not None
    element.getparent().remove(element)  # type: ignore[union-attr]
    return envelope


def _with_version(envelope: etree._Element, version: str) -> etree._Element:
    element = envelope.find(f"{E}Header/{E}SchemaVersion")
    assert element is not None
    element.text = version
    return envelope


def _without_payload_field(envelope: etree._Element, local_name: str) -> etree._Element:
    found = envelope.xpath(f"//*[local-name()='{local_name}']")
    assert isinstance(found, list)
    assert found
    element = found[0]
    assert isinstance(element, etree._Element)
    element.getparent().remove(element)  # type: ignore[union-attr]
    return envelope


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_bad_input_is_refused_with_its_code_and_recorded(
    case: str,
    ingestor: Ingestor,
    session_factory: sessionmaker[Session],
    signers: Signers,
    enqueued: Enqueued,
) -> None:
    build, code = HOSTILE[case]

    _refused(ingestor, session_factory, build(signers), code)

    assert _count(session_factory, OutboxDelivery) == 0
    assert enqueued.rows == []


def test_oversize_body_is_refused_before_parsing(
    ingestor: Ingestor, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    raw = b"<a>" + b"x" * 2_000_000 + b"</a>"
    rejection = _refused(ingestor, session_factory, raw, "xml.too_large")
    assert rejection.status == 413


def test_certificate_from_another_ca_is_untrusted(
    ingestor: Ingestor,
    session_factory: sessionmaker[Session],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    rogue = DevPki(tmp_path_factory.mktemp("rogue"))
    rogue.init()
    rogue.issue("police", "Самозванец")
    raw = XmlSigner(rogue.signing_key("police")).sign(make_envelope(sender="police"))

    _refused(ingestor, session_factory, raw, "signature.untrusted")


def test_expired_certificate_is_refused(
    pki: DevPki,
    session_factory: sessionmaker[Session],
    settings: Settings,
    partners: dict[str, str],
    enqueued: Enqueued,
) -> None:
    pki.issue("police", "ОМВД", valid_days=1, not_before=datetime.now(UTC) - timedelta(days=10))
    raw = XmlSigner(pki.signing_key("police")).sign(make_envelope(sender="police"))
    ingestor = _fresh_ingestor(settings, session_factory, enqueued)

    _refused(ingestor, session_factory, raw, "signature.expired")


def test_revoked_certificate_is_refused(
    pki: DevPki,
    session_factory: sessionmaker[Session],
    settings: Settings,
    partners: dict[str, str],
    enqueued: Enqueued,
) -> None:
    raw = XmlSigner(pki.signing_key("police")).sign(make_envelope(sender="police"))
    pki.revoke("police")
    ingestor = _fresh_ingestor(settings, session_factory, enqueued)

    _refused(ingestor, session_factory, raw, "signature.revoked")


def _fresh_ingestor(
    settings: Settings, session_factory: sessionmaker[Session], enqueued: Enqueued
) -> Ingestor:
    return build_ingestor(
        settings, session_factory, clock=lambda: datetime.now(UTC), on_committed=enqueued
    )


def test_authenticated_partner_must_be_the_sender(
    ingestor: Ingestor, session_factory: sessionmaker[Session], signers: Signers
) -> None:
    raw = signers.sign(make_envelope(sender="police"))
    _refused(ingestor, session_factory, raw, "auth.sender_mismatch", authenticated="kdn")


def test_reply_to_an_unknown_message_is_refused(
    ingestor: Ingestor, session_factory: sessionmaker[Session], signers: Signers
) -> None:
    raw = signers.sign(
        make_envelope("ReferralReceipt", sender="social", correlation_id=_any_uuid())
    )
    _refused(ingestor, session_factory, raw, "routing.unknown_correlation", authenticated="social")


def test_explicit_recipient_outside_the_route_is_refused(
    ingestor: Ingestor, session_factory: sessionmaker[Session], signers: Signers
) -> None:
    raw = signers.sign(make_envelope(sender="police", recipients=("police",)))
    _refused(ingestor, session_factory, raw, "routing.recipient_not_allowed")


def _with_type(envelope: etree._Element, message_type: str) -> etree._Element:
    element = envelope.find(f"{E}Header/{E}MessageType")
    assert element is not None
    element.text = message_type
    return envelope


def _signature_moved_into_payload(signed: bytes) -> bytes:
    root = etree.fromstring(signed)
    signature = root[-1]
    root.find(f"{E}Body")[0].append(signature)  # type: ignore[index]
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _broken_signature_value(signed: bytes) -> bytes:
    root = etree.fromstring(signed)
    value = root.find(".//{http://www.w3.org/2000/09/xmldsig#}SignatureValue")
    assert value is not None
    assert value.text
    flipped = "A" if value.text[10] != "A" else "B"
    value.text = value.text[:10] + flipped + value.text[11:]
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


MORE_HOSTILE: dict[str, tuple[Callable[[Signers], bytes], str]] = {
    "too_many_attributes": (
        lambda s: b"<a " + b" ".join(b'x%d="1"' % i for i in range(100)) + b"/>",
        "xml.too_complex",
    ),
    "signature_not_a_child_of_the_root": (
        lambda s: _signature_moved_into_payload(s.sign(make_envelope(sender="police"))),
        "signature.profile_violation",
    ),
    "signature_value_altered": (
        lambda s: _broken_signature_value(s.sign(make_envelope(sender="police"))),
        "signature.invalid",
    ),
    "unknown_type": (
        lambda s: s.sign(_with_type(make_envelope(sender="police"), "FamilyVisit")),
        "schema.unknown_type",
    ),
}


@pytest.mark.parametrize("case", sorted(MORE_HOSTILE))
def test_more_bad_input_is_refused_with_its_code(
    case: str, ingestor: Ingestor, session_factory: sessionmaker[Session], signers: Signers
) -> None:
    build, code = MORE_HOSTILE[case]
    _refused(ingestor, session_factory, build(signers), code)
    assert _count(session_factory, OutboxDelivery) == 0


def test_message_nobody_registered_can_receive_is_refused(
    ingestor: Ingestor, session_factory: sessionmaker[Session], signers: Signers
) -> None:
    with session_factory.begin() as session:
        for partner in session.scalars(select(Partner).where(Partner.code.in_(["social", "kdn"]))):
            partner.active = False
    raw = signers.sign(make_envelope(sender="police"))
    _refused(ingestor, session_factory, raw, "routing.no_recipients")


def test_a_revocation_takes_effect_in_the_running_hub(
    pki: DevPki,
    session_factory: sessionmaker[Session],
    settings: Settings,
    partners: dict[str, str],
    enqueued: Enqueued,
) -> None:
    # Given a running ingest that looks at the CRL on every message
    ingestor = _fresh_ingestor(
        settings.model_copy(update={"crl_recheck_s": 0}), session_factory, enqueued
    )
    police = XmlSigner(pki.signing_key("police"))
    ingestor.ingest(police.sign(make_envelope(sender="police")), authenticated="police")

    # When the CA revokes the police certificate
    pki.revoke("police")

    # Then the next message signed with it is refused, with no restart
    _refused(
        ingestor, session_factory, police.sign(make_envelope(sender="police")), "signature.revoked"
    )


def test_messages_committed_as_one_group_are_chained_in_order_and_refused_one_by_one(
    ingestor: Ingestor,
    session_factory: sessionmaker[Session],
    engine: Engine,
    signers: Signers,
    enqueued: Enqueued,
) -> None:
    # Given six messages that reach the writer while it is held, so they form one group:
    # four good ones, a second copy of one of them, and one whose MessageId is the police's
    taken = str(uuid.uuid4())
    good = [signers.sign(make_envelope(sender="police")) for _ in range(3)]
    good.append(signers.sign(make_envelope(sender="police", message_id=taken)))
    late = [good[0], signers.sign(make_envelope(sender="health", message_id=taken))]
    release, held = threading.Event(), threading.Event()

    def hold_first_write(
        conn: Connection,
        cursor: object,
        statement: str,
        parameters: object,
        context: object,
        executemany: bool,
    ) -> None:
        # The first message's log row, in the writer: it waits there.
        if statement.startswith("INSERT INTO message_log") and not held.is_set():
            held.set()
            release.wait(30)

    first = signers.sign(make_envelope(sender="police"))
    event.listen(engine, "before_cursor_execute", hold_first_write)
    outcomes: dict[int, str] = {}

    def send(index: int, raw: bytes, sender: str) -> None:
        try:
            ingestor.ingest(raw, authenticated=sender)
            outcomes[index] = "accepted"
        except Rejection as rejection:
            outcomes[index] = rejection.code

    try:
        threads = [threading.Thread(target=send, args=(0, first, "police"))]
        threads[0].start()
        _wait_until(held.is_set)
        threads += [
            threading.Thread(target=send, args=(i + 1, raw, "police")) for i, raw in enumerate(good)
        ]
        threads += [
            threading.Thread(target=send, args=(5, late[0], "police")),
            threading.Thread(target=send, args=(6, late[1], "health")),
        ]
        for thread in threads[1:5]:
            thread.start()
        _wait_until(lambda: ingestor.writes.waiting == 4)
        for thread in threads[5:]:
            thread.start()
        _wait_until(lambda: ingestor.writes.waiting == 6)
    finally:
        release.set()
        for thread in threads:
            thread.join(30)
        event.remove(engine, "before_cursor_execute", hold_first_write)

    # Then the good ones are accepted and each bad one refused with its own code
    assert outcomes == {
        0: "accepted",
        1: "accepted",
        2: "accepted",
        3: "accepted",
        4: "accepted",
        5: "replay.duplicate",
        6: "replay.message_id_taken",
    }
    # And the log holds the five, chained in commit order, every link intact
    with session_factory() as session:
        logged = session.scalars(select(MessageLog.sha256).order_by(MessageLog.id)).all()
        assert verify_chain(session).intact
        refused = session.scalars(select(RejectionRow.code).order_by(RejectionRow.id)).all()
        pushed = session.execute(
            select(OutboxDelivery.recipient, OutboxDelivery.priority).where(
                OutboxDelivery.mode == DeliveryMode.PUSH
            )
        ).all()
    assert logged[0] == hashlib.sha256(first).hexdigest()
    assert sorted(logged[1:]) == sorted(hashlib.sha256(raw).hexdigest() for raw in good)
    assert sorted(refused) == ["replay.duplicate", "replay.message_id_taken"]
    # And every accepted message's push copies, and only those, woke their partners' lanes
    assert pushed
    assert set(enqueued.rows) == {(recipient, priority) for recipient, priority in pushed}


def _wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, "the requests did not reach the writer"
        time.sleep(0.005)
