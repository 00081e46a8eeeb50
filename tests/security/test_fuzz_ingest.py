"""Fuzzing the ingest entry point: a mutated signed message is refused, never a crash.

Mutations of one valid signed message (byte flips, truncations, deletions, insertions of
hostile fragments) and plain random bytes go through ``Ingestor.ingest``. The only exception
allowed out is ``Rejection``; the only message ever accepted is the original signed one
(byte-identical, or a serialisation libxml2 reads as the same characters, which the
signature then covers), and then only once. SQLite only; derandomised so a run is repeatable.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hub.errors import Rejection
from hub.ingest import Ingestor
from hub.store import MessageLog
from schemas import ENVELOPE_NS, parse_xml
from tests.factories import Signers, make_envelope

#: Fragments an attacker would splice into a message.
HOSTILE_FRAGMENTS = (
    b'<!DOCTYPE Envelope [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    b"&x;",
    b"&amp;",
    b"<!---->",
    b"<?pi data?>",
    b"<![CDATA[</Body>]]>",
    b'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="/etc/passwd"/>',
    b"<ds:Signature xmlns:ds='http://www.w3.org/2000/09/xmldsig#'/>",
    b"</Body>",
    b"<Body>",
    b'Id="x"',
    b"\x00",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"\r\n",
    "Й".encode(),
    b"<a>" * 300,
)


@pytest.fixture
def valid(signers: Signers) -> bytes:
    return signers.sign(make_envelope(sender="police"))


def _mutations(valid: bytes) -> st.SearchStrategy[bytes]:
    size = len(valid)
    index = st.integers(min_value=0, max_value=size - 1)
    flip = st.tuples(index, st.integers(min_value=1, max_value=255)).map(
        lambda p: valid[: p[0]] + bytes([valid[p[0]] ^ p[1]]) + valid[p[0] + 1 :]
    )
    truncate = index.map(lambda i: valid[:i])
    delete = st.tuples(index, st.integers(min_value=1, max_value=64)).map(
        lambda p: valid[: p[0]] + valid[p[0] + p[1] :]
    )
    insert = st.tuples(index, st.sampled_from(HOSTILE_FRAGMENTS) | st.binary(min_size=1)).map(
        lambda p: valid[: p[0]] + p[1] + valid[p[0] :]
    )
    return st.one_of(flip, truncate, delete, insert, st.binary(max_size=4096))


def _message_id(raw: bytes) -> str | None:
    return parse_xml(raw).findtext(f"{{{ENVELOPE_NS}}}Header/{{{ENVELOPE_NS}}}MessageId")


def _logged(session_factory: sessionmaker[Session]) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(MessageLog)) or 0


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_mutated_message_is_refused_or_is_the_original(
    data: st.DataObject,
    ingestor: Ingestor,
    session_factory: sessionmaker[Session],
    valid: bytes,
) -> None:
    raw = data.draw(_mutations(valid), label="raw")
    authenticated = data.draw(st.sampled_from(["police", None]), label="authenticated")

    try:
        receipt = ingestor.ingest(raw, authenticated=authenticated)
    except Rejection:
        # The one exception allowed out; Rejection() itself refuses a code not in the catalogue.
        return

    # Accepted: it can only be the signed original, and only its first arrival.
    assert receipt.message_id == _message_id(valid)
    assert _logged(session_factory) == 1
