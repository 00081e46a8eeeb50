"""Each agency's copy of a full referral holds exactly the classes the rules let it see.

The rules here send the referral to every agency (the shipped rules send it to two),
so one message shows all six views; each copy is checked field by field, verifies
under the hub's key and still validates.
"""

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.config import Settings
from hub.ingest import Ingestor, build_ingestor
from hub.routing import load_rules
from hub.routing.rules import default_rules_file
from hub.store import OutboxDelivery
from schemas import parse_xml, read_header, sensitivity_map, validate_envelope, validate_payload
from signing import DevPki, XmlVerifier
from tests.conftest import PARTNERS, Enqueued
from tests.factories import Signers, make_envelope

ALL = sorted(PARTNERS)


@pytest.fixture
def broadcast_ingestor(
    settings: Settings,
    tmp_path: Path,
    session_factory: sessionmaker[Session],
    partners: dict[str, str],
    enqueued: Enqueued,
) -> Ingestor:
    rules = yaml.safe_load(default_rules_file().read_text(encoding="utf-8"))
    rules["message_types"]["FamilyReferral"]["recipients"] = ALL
    file = tmp_path / "broadcast.yaml"
    file.write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")
    return build_ingestor(
        settings.model_copy(update={"routing_rules": file}),
        session_factory,
        clock=lambda: datetime.now(UTC),
        on_committed=enqueued,
    )


def _classes_present(envelope: etree._Element) -> set[str]:
    header = read_header(envelope)
    found = set()
    for path, sensitivity in sensitivity_map(header.message_type, header.schema_version).items():
        steps = "/".join(f"*[local-name()='{step}']" for step in path.split("/"))
        if envelope.xpath(f"//*[local-name()='Body']/*/{steps}"):
            found.add(sensitivity)
    return found


@pytest.mark.parametrize("sender", ["police", "health"])
def test_every_agency_gets_only_what_it_may_see(
    sender: str,
    broadcast_ingestor: Ingestor,
    session_factory: sessionmaker[Session],
    signers: Signers,
    pki: DevPki,
) -> None:
    referral = make_envelope("FamilyReferral", sender=sender)
    assert _classes_present(referral) == {"identity", "health", "conduct", "social"}

    broadcast_ingestor.ingest(signers.sign(referral), authenticated=sender)

    visibility = load_rules().visibility
    verifier = XmlVerifier(pki.trust_store())
    with session_factory() as session:
        copies = session.scalars(select(OutboxDelivery)).all()
    assert sorted(c.recipient for c in copies) == [p for p in ALL if p != sender]
    for copy in copies:
        allowed = {"identity", *visibility[copy.recipient]}
        verified = verifier.verify(parse_xml(copy.payload), expected_sender="hub").signed_xml
        validate_envelope(verified)
        validate_payload(verified, read_header(verified))
        assert _classes_present(verified) == allowed, copy.recipient
        removed = {"health", "conduct", "social"} - allowed
        assert set(filter(None, (copy.removed_classes or "").split(","))) == removed
