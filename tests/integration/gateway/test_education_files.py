"""The school through its gateway: CSV files from its inbox folder to the hub, moved to
``processed/`` once the hub has every message, or to ``rejected/`` with a report."""

import shutil
from pathlib import Path

import pytest

from adapters.education.folders import ExchangeFolder
from tests.integration.gateway.conftest import Gateways, status, wait_for
from tests.unit.adapters.education import golden

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

ABSENCES = "absences_2026-03-14.csv"


def test_a_schools_file_is_sent_and_moved_to_processed(gateways: Gateways, tmp_path: Path) -> None:
    folder = ExchangeFolder(tmp_path / "exchange" / "school-3").create()
    _, school = gateways.start(gateways.options("education", system=folder.path.as_uri()))

    shutil.copyfile(golden.INBOX / ABSENCES, folder.inbox / ABSENCES)

    wait_for(lambda: (folder.processed / ABSENCES).exists())
    assert status(school)["outgoing"] == {"waiting": 0, "sent": 2, "refused": 0}


def test_a_file_with_a_bad_cell_is_rejected_with_its_report(
    gateways: Gateways, tmp_path: Path
) -> None:
    folder = ExchangeFolder(tmp_path / "exchange" / "school-3").create()
    _, school = gateways.start(gateways.options("education", system=folder.path.as_uri()))
    text = (golden.INBOX / ABSENCES).read_text(encoding="utf-8-sig")
    (folder.inbox / ABSENCES).write_text(
        text.replace("14.03.2026 12:40", "вчера"), encoding="utf-8-sig"
    )

    wait_for(lambda: (folder.rejected / f"{ABSENCES}.errors.csv").exists())
    report = (folder.rejected / f"{ABSENCES}.errors.csv").read_text(encoding="utf-8-sig")
    assert "Дата и время выявления" in report
    assert status(school)["outgoing"] == {"waiting": 0, "sent": 0, "refused": 0}


def test_a_file_the_hub_refuses_is_rejected_with_the_hubs_code(
    gateways: Gateways, tmp_path: Path
) -> None:
    folder = ExchangeFolder(tmp_path / "exchange" / "school-3").create()
    _, school = gateways.start(gateways.options("education", system=folder.path.as_uri()))
    answers = "answers_2026-03-18.csv"  # answers a request the hub never saw

    shutil.copyfile(golden.INBOX / answers, folder.inbox / answers)

    wait_for(lambda: (folder.rejected / f"{answers}.errors.csv").exists())
    report = (folder.rejected / f"{answers}.errors.csv").read_text(encoding="utf-8-sig")
    assert "routing.unknown_correlation" in report
    assert status(school)["outgoing"]["refused"] == 1
