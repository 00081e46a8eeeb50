"""EducationTransport: atomic, idempotent files in a school's outbox; file system faults mapped."""

import os
from pathlib import Path

import pytest
from lxml import etree

import schemas
from adapters.base import OutboundMessage, PartnerRejected, PartnerUnavailable
from adapters.education import ADAPTER, EducationTransport, ExchangeFolder, folders
from adapters.education.transport import map_transport_errors
from adapters.registry import get_adapter
from tests.unit.adapters.education import golden
from tests.unit.adapters.education.conftest import names


def _message(stem: str, delivery_id: int = 1) -> OutboundMessage:
    envelope = golden.outbound_messages()[stem]
    header = schemas.read_header(envelope)
    return OutboundMessage(
        delivery_id=delivery_id,
        recipient="education",
        message_id=header.message_id,
        message_type=header.message_type,
        priority="routine",
        envelope=etree.tostring(envelope),
    )


def _endpoint(folder: ExchangeFolder, query: str = "") -> str:
    return folder.path.as_uri() + query


def test_the_registry_builds_the_file_transport_from_a_file_url(folder: ExchangeFolder) -> None:
    assert get_adapter("education") is ADAPTER
    assert ADAPTER.delivery_mode == "push"
    assert ADAPTER.make_transport is not None
    transport = ADAPTER.make_transport(_endpoint(folder), 5.0)
    assert isinstance(transport, EducationTransport)


@pytest.mark.parametrize(
    "endpoint", ["http://school.test/x", "file://server/share/school-3", "file:relative/school"]
)
def test_an_endpoint_that_is_not_a_local_folder_is_a_configuration_error(endpoint: str) -> None:
    with pytest.raises(ValueError, match="file:///"):
        EducationTransport.connect(endpoint, 5.0)


def test_a_message_becomes_one_file_in_the_outbox_and_a_redelivery_rewrites_it(
    folder: ExchangeFolder,
) -> None:
    transport = EducationTransport.connect(_endpoint(folder), 5.0)

    first = transport.deliver(_message("plan", 1))
    second = transport.deliver(_message("plan", 2))

    name = f"actions_{_message('plan').message_id}.csv"
    assert first.remote_reference == second.remote_reference == f"outbox/{name}"
    assert names(folder.outbox) == [name]
    assert (folder.outbox / name).read_bytes() == (golden.OUTBOX / "plan.csv").read_bytes()


def test_a_school_on_cp1251_gets_cp1251_and_a_character_it_lacks_is_refused(
    folder: ExchangeFolder,
) -> None:
    transport = EducationTransport.connect(_endpoint(folder, "?encoding=cp1251"), 5.0)
    transport.deliver(_message("request"))
    (written,) = folder.outbox.iterdir()
    assert written.read_bytes() == (golden.OUTBOX / "request.csv").read_bytes()[3:].decode(
        "utf-8"
    ).encode("cp1251")

    envelope = golden.outbound_messages()["closure"]
    comment = envelope.find(".//{*}Comment")
    assert comment is not None
    comment.text = "Семья переехала в Бишкек (Кыргызстан): Өмүрбек"
    message = OutboundMessage(
        2, "education", "m-2", "CaseClosure", "routine", etree.tostring(envelope)
    )
    with pytest.raises(PartnerRejected, match="not in cp1251"):
        transport.deliver(message)
    assert len(names(folder.outbox)) == 1


def test_a_message_type_schools_do_not_exchange_is_rejected_for_good(
    folder: ExchangeFolder,
) -> None:
    transport = EducationTransport.connect(_endpoint(folder), 5.0)
    # A police referral has no absence reason: no absence report row can carry it.
    police_referral = (golden.ROOT.parent / "police" / "signal.xml").read_bytes()
    with pytest.raises(PartnerRejected):
        transport.deliver(
            OutboundMessage(1, "education", "m", "FamilyReferral", "urgent", b"<not-xml")
        )
    with pytest.raises(PartnerRejected):
        transport.deliver(
            OutboundMessage(1, "education", "m", "FamilyReferral", "urgent", police_referral)
        )
    assert names(folder.outbox) == []


def test_an_outbox_that_is_a_file_makes_the_school_unavailable_and_leaves_no_partial_file(
    folder: ExchangeFolder,
) -> None:
    # Given an outbox where a file stands in for the folder (tests run as root: no chmod)
    os.rmdir(folder.outbox)
    folder.outbox.write_bytes(b"")
    transport = EducationTransport.connect(_endpoint(folder), 5.0)

    with pytest.raises(PartnerUnavailable, match="NotADirectoryError") as caught:
        transport.deliver(_message("assignment"))

    assert isinstance(caught.value.__cause__, OSError)
    assert names(folder.path) == ["archive", "inbox", "outbox", "processed", "rejected"]
    assert folder.outbox.read_bytes() == b""


def test_a_missing_exchange_folder_is_not_created_by_the_hub(tmp_path: Path) -> None:
    transport = EducationTransport.connect((tmp_path / "unmounted" / "school-3").as_uri(), 5.0)
    with pytest.raises(PartnerUnavailable, match="FileNotFoundError"):
        transport.deliver(_message("assignment"))
    assert not (tmp_path / "unmounted").exists()


def test_a_disk_full_mid_write_leaves_the_old_file_and_no_temporary_one(
    folder: ExchangeFolder, monkeypatch: pytest.MonkeyPatch
) -> None:
    transport = EducationTransport.connect(_endpoint(folder), 5.0)
    transport.deliver(_message("assignment"))
    (path,) = folder.outbox.iterdir()
    before = path.read_bytes()

    def full(descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(PartnerUnavailable, match="errno 28"):
        transport.deliver(_message("assignment", 2))

    assert names(folder.outbox) == [path.name]
    assert path.read_bytes() == before


def test_readers_never_see_a_partial_file(
    folder: ExchangeFolder, monkeypatch: pytest.MonkeyPatch
) -> None:
    # While the file is being written, only a hidden .tmp exists: readers skip it.
    seen: list[list[str]] = []
    real_fsync = os.fsync

    def watch(descriptor: int) -> None:
        seen.append([p.name for p in folders.ready_files(folder.outbox, settle_s=0)])
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", watch)
    EducationTransport.connect(_endpoint(folder), 5.0).deliver(_message("closure"))

    assert seen[0] == []  # fsync of the data, before the rename
    assert [p.name for p in folders.ready_files(folder.outbox, settle_s=0)] == [
        f"closure_{_message('closure').message_id}.csv"
    ]


def test_every_os_error_is_worth_a_retry() -> None:
    for error in (PermissionError(13, "denied"), OSError(28, "full"), IsADirectoryError(21, "d")):
        with pytest.raises(PartnerUnavailable), map_transport_errors():
            raise error
