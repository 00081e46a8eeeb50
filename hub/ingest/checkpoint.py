"""Signed checkpoints of the chain head: what makes a consistent rewrite of the log detectable.

A checkpoint states "the log had ``length`` links ending in ``head_hash`` at ``created_at``"
in a small XML document the hub signs with its own key, in the profile of its messages (so
``xmlsec1 --verify --trusted-pem ca.pem`` checks an RSA one without the hub). Each is
stored twice: a ``chain_checkpoint`` row and a file under ``<data dir>/checkpoints/``, so a
deleted row is noticed. ``check_log`` verifies every checkpoint's signature and then walks
the chain against them (``verify_chain``): a tail rewritten with freshly computed links
holds link by link but no longer reaches a signed head.
"""

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from lxml import etree
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from hub.ingest.chain import Anchor, ChainVerdict, verify_chain
from hub.store import ChainCheckpoint, ChainHead
from schemas import SchemaError, parse_xml
from signing import (
    ANY_PROVIDER,
    HUB_SYSTEM_CODE,
    Signer,
    SigningError,
    TrustStore,
    Verifier,
    XmlVerifier,
)

_log = logging.getLogger(__name__)

CHECKPOINT_NS = "urn:family-hub:chain-checkpoint:1"
_NS = f"{{{CHECKPOINT_NS}}}"


@dataclass(frozen=True)
class CheckpointFacts:
    """What a checkpoint states about the chain head."""

    length: int
    head_hash: str
    created_at: datetime


def checkpoint_folder(data_dir: Path) -> Path:
    """Where checkpoint files are kept, beside the database rows."""
    return data_dir / "checkpoints"


def make_checkpoint(
    session_factory: sessionmaker[Session],
    signer: Signer,
    folder: Path,
    *,
    now: datetime,
    slot: int | None = None,
) -> CheckpointFacts | None:
    """Sign the current chain head, store it as a row and as a file; what it states.

    ``slot`` numbers the interval of a periodic checkpoint: the first worker to store it
    makes it, and the others get None. A checkpoint asked for by hand passes no slot.
    """
    with session_factory() as session:
        head = session.get_one(ChainHead, 1)
        facts = CheckpointFacts(head.length, head.last_hash, now)
    document = signer.sign(_document(facts))
    try:
        with session_factory.begin() as session:
            session.add(
                ChainCheckpoint(
                    length=facts.length,
                    head_hash=facts.head_hash,
                    created_at=now,
                    slot=slot,
                    document=document,
                )
            )
    except IntegrityError:
        return None  # another worker made this slot's checkpoint
    folder.mkdir(parents=True, exist_ok=True)
    name = f"checkpoint-{facts.length:012d}-{now:%Y%m%dT%H%M%S%fZ}.xml"
    (folder / name).write_bytes(document)
    _log.info("chain checkpoint signed: %d link(s)", facts.length)
    return facts


def read_checkpoint(element: etree._Element) -> CheckpointFacts:
    """The facts of a checkpoint document (read them only from a verified tree).

    Raises:
        ValueError: not a checkpoint document, or a value of the wrong form.
    """
    if element.tag != f"{_NS}Checkpoint":
        raise ValueError("not a chain checkpoint document")
    created_at = datetime.fromisoformat(_child(element, "CreatedAt"))
    if created_at.tzinfo is None:
        raise ValueError("CreatedAt carries no UTC offset")
    return CheckpointFacts(
        length=int(_child(element, "Length")),
        head_hash=_child(element, "HeadHash"),
        created_at=created_at,
    )


def checkpoint_verifier(pki_dir: Path) -> Verifier:
    """A verifier of the hub's checkpoints: the PKI's CA and any algorithm the hub may have
    signed with — a hub moved from RSA to GOST keeps its earlier checkpoints checkable."""
    return XmlVerifier(TrustStore.load(pki_dir), ANY_PROVIDER)


def check_log(session: Session, verifier: Verifier, folder: Path) -> ChainVerdict:
    """Check every checkpoint (rows and files) and then walk the chain against them.

    A verdict with no ``broken_at`` names a checkpoint that is forged, altered, or whose
    row was deleted while its file remains.
    """
    anchors: list[Anchor] = []
    stored: set[str] = set()
    for label, document, columns in _checkpoints(session, folder):
        try:
            facts = _verified(verifier, document)
        except (SchemaError, SigningError, ValueError) as exc:
            return ChainVerdict(0, None, f"{label} is not a valid signed checkpoint: {exc}")
        digest = hashlib.sha256(document).hexdigest()
        if columns is not None:
            if columns != (facts.length, facts.head_hash):
                return ChainVerdict(0, None, f"{label}: its columns differ from what it signed")
            stored.add(digest)
        elif digest not in stored:
            return ChainVerdict(0, None, f"{label} has no row in the database (deleted)")
        anchors.append(Anchor(facts.length, facts.head_hash, f"{label} of {facts.created_at}"))
    return verify_chain(session, anchors)


def _checkpoints(
    session: Session, folder: Path
) -> Iterator[tuple[str, bytes, tuple[int, str] | None]]:
    """Every checkpoint document: the rows first (with their columns), then the files."""
    for row in session.scalars(select(ChainCheckpoint).order_by(ChainCheckpoint.id)):
        yield f"checkpoint {row.id}", row.document, (row.length, row.head_hash)
    for path in sorted(folder.glob("checkpoint-*.xml")) if folder.is_dir() else []:
        yield f"checkpoint file {path.name}", path.read_bytes(), None


def _verified(verifier: Verifier, document: bytes) -> CheckpointFacts:
    """The facts of a checkpoint whose signature by the hub's key holds at its own time."""
    element = parse_xml(document)
    claimed = read_checkpoint(element)
    verified = verifier.verify(element, expected_sender=HUB_SYSTEM_CODE, now=claimed.created_at)
    return read_checkpoint(verified.signed_xml)


def _document(facts: CheckpointFacts) -> etree._Element:
    # The checkpoint's namespace as the default one (lxml-stubs type no None prefix).
    root = etree.Element(f"{_NS}Checkpoint", nsmap={None: CHECKPOINT_NS})  # type: ignore[dict-item]
    for name, value in (
        ("Length", str(facts.length)),
        ("HeadHash", facts.head_hash),
        ("CreatedAt", facts.created_at.isoformat()),
    ):
        etree.SubElement(root, f"{_NS}{name}").text = value
    return root


def _child(element: etree._Element, name: str) -> str:
    found = element.find(f"{_NS}{name}")
    if found is None or not found.text:
        raise ValueError(f"checkpoint without {name}")
    return found.text
