"""InboundGateway: inbox files are sent once, moved once, and refused with a row/column report."""

from datetime import timedelta, timezone
from pathlib import Path

import pytest

from adapters.education import ExchangeFolder, csvfile, gateway
from adapters.education.gateway import InboundGateway
from adapters.hub_client import HubClient
from tests.unit.adapters.education import golden
from tests.unit.adapters.education.conftest import FakeHub, drop, names

ZONE = timezone(timedelta(hours=12))
ABSENCES = (golden.INBOX / "absences_2026-03-14.csv").read_bytes()


class Crash(BaseException):
    """The process dies here (kill -9): nothing after it runs."""


def test_a_file_is_sent_message_by_message_and_moved_to_processed(
    folder: ExchangeFolder, hub: HubClient, fake_hub: FakeHub
) -> None:
    drop(folder, "absences_2026-03-14.csv", ABSENCES)

    (outcome,) = InboundGateway(folder, hub, zone=ZONE).scan_once()

    assert outcome.status == "processed"
    assert [(m.row, m.message_type, m.duplicate) for m in outcome.sent] == [
        (2, "FamilyReferral", False),
        (3, "FamilyReferral", False),
    ]
    assert set(fake_hub.accepted) == {m.message_id for m in outcome.sent}
    assert names(folder.inbox) == []
    assert names(folder.processed) == ["absences_2026-03-14.csv"]


def test_a_crash_between_send_and_move_sends_nothing_new_and_moves_the_file_once(
    folder: ExchangeFolder, hub: HubClient, fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a file whose messages the hub took, and a gateway killed before the move
    drop(folder, "absences_2026-03-14.csv", ABSENCES)

    def die(*args: object) -> None:
        raise Crash

    monkeypatch.setattr(gateway, "move_unique", die)
    with pytest.raises(Crash):
        InboundGateway(folder, hub, zone=ZONE).scan_once()
    assert len(fake_hub.accepted) == 2
    assert names(folder.inbox) == ["absences_2026-03-14.csv"]

    # When the gateway restarts
    monkeypatch.undo()
    (outcome,) = InboundGateway(folder, hub, zone=ZONE).scan_once()

    # Then the hub says duplicate for both, which counts as sent, and the file moves once
    assert [m.duplicate for m in outcome.sent] == [True, True]
    assert len(fake_hub.accepted) == 2
    assert (names(folder.inbox), names(folder.processed)) == ([], ["absences_2026-03-14.csv"])
    assert InboundGateway(folder, hub, zone=ZONE).scan_once() == []


def test_a_file_with_a_bad_cell_is_rejected_whole_with_a_report_naming_row_and_column(
    folder: ExchangeFolder, hub: HubClient, fake_hub: FakeHub
) -> None:
    bad = ABSENCES.decode("utf-8-sig").replace("21.04.2011", "31.04.2011")
    drop(folder, "absences_bad.csv", bad.encode("cp1251"))

    (outcome,) = InboundGateway(folder, hub, zone=ZONE).scan_once()

    assert outcome.status == "rejected"
    assert fake_hub.posts == 0  # the good row 2 is not sent either
    assert names(folder.rejected) == ["absences_bad.csv", "absences_bad.csv.errors.csv"]
    report = csvfile.parse(
        (folder.rejected / "absences_bad.csv.errors.csv").read_bytes(),
        ("Строка", "Столбец", "Ошибка"),
    )
    assert [dict(r.values) for r in report] == [
        {"Строка": "3", "Столбец": "Дата рождения", "Ошибка": "not a date (ДД.ММ.ГГГГ)"}
    ]


def test_every_bad_message_of_a_file_is_reported(folder: ExchangeFolder, hub: HubClient) -> None:
    text = ABSENCES.decode("utf-8-sig").replace("12.09.2013", "12/09/2013").replace(";Ж;", ";Д;")
    drop(folder, "absences_bad.csv", text.encode())

    (outcome,) = InboundGateway(folder, hub, zone=ZONE).scan_once()

    assert [(e.row, e.column) for e in outcome.errors] == [(2, "Дата рождения"), (3, "Пол")]


def test_an_unknown_kind_of_file_is_rejected(folder: ExchangeFolder, hub: HubClient) -> None:
    drop(folder, "Отчёт за март.csv", ABSENCES)

    (outcome,) = InboundGateway(folder, hub, zone=ZONE).scan_once()

    assert outcome.status == "rejected"
    assert outcome.errors[0].reason.startswith("unknown file kind; expected absences_*.csv")


def test_files_still_being_written_are_left_alone(
    folder: ExchangeFolder, hub: HubClient, fake_hub: FakeHub
) -> None:
    drop(folder, "absences_a.csv.part", ABSENCES)
    drop(folder, "absences_b.tmp", ABSENCES)
    drop(folder, ".absences_c.csv", ABSENCES)
    drop(folder, "~$absences_d.csv", ABSENCES)
    drop(folder, "absences_fresh.csv", ABSENCES, age_s=0)

    assert InboundGateway(folder, hub, zone=ZONE, settle_s=30).scan_once() == []
    assert fake_hub.posts == 0
    assert len(names(folder.inbox)) == 5


def test_an_unreachable_hub_leaves_the_file_for_the_next_scan(
    folder: ExchangeFolder, hub: HubClient, fake_hub: FakeHub
) -> None:
    drop(folder, "absences_2026-03-14.csv", ABSENCES)
    drop(folder, "statuses_2026-03-20.csv", (golden.INBOX / "statuses_2026-03-20.csv").read_bytes())
    fake_hub.answers = [(503, "unavailable")]

    outcomes = InboundGateway(folder, hub, zone=ZONE).scan_once()

    assert [o.status for o in outcomes] == ["deferred"]
    assert len(names(folder.inbox)) == 2
    outcomes = InboundGateway(folder, hub, zone=ZONE).scan_once()
    assert [o.status for o in outcomes] == ["processed", "processed"]
    assert len(fake_hub.accepted) == 4


def test_a_message_the_hub_refuses_rejects_the_file_naming_the_row_and_the_code(
    folder: ExchangeFolder, hub: HubClient, fake_hub: FakeHub
) -> None:
    drop(folder, "absences_2026-03-14.csv", ABSENCES)
    fake_hub.answers = [(403, "route.sender_not_allowed")]

    (outcome,) = InboundGateway(folder, hub, zone=ZONE).scan_once()

    assert outcome.status == "rejected"
    assert [m.row for m in outcome.sent] == [3]
    assert [(e.row, e.column, e.reason) for e in outcome.errors] == [
        (2, "", "refused by the hub: route.sender_not_allowed")
    ]


def test_a_new_file_under_an_old_name_is_new_and_both_are_kept(
    folder: ExchangeFolder, hub: HubClient, fake_hub: FakeHub
) -> None:
    drop(folder, "statuses.csv", (golden.INBOX / "statuses_2026-03-20.csv").read_bytes())
    InboundGateway(folder, hub, zone=ZONE).scan_once()
    changed = (golden.INBOX / "statuses_2026-03-20.csv").read_bytes().replace(b"10:05", b"10:06")
    drop(folder, "statuses.csv", changed)

    (outcome,) = InboundGateway(folder, hub, zone=ZONE).scan_once()

    assert [m.duplicate for m in outcome.sent] == [False, False]
    assert len(fake_hub.accepted) == 4
    assert names(folder.processed) == ["statuses.1.csv", "statuses.csv"]


@pytest.mark.parametrize("path", golden.inbox_files(), ids=lambda p: p.name)
def test_every_golden_file_goes_through(folder: ExchangeFolder, hub: HubClient, path: Path) -> None:
    drop(folder, path.name, path.read_bytes())

    (outcome,) = InboundGateway(folder, hub, zone=ZONE).scan_once()

    assert outcome.status == "processed", outcome.errors
