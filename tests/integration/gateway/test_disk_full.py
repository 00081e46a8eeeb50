"""The gateway's disk fills up: it refuses new records natively (503 with its code) instead of
accepting what it could not keep, keeps every record it answered, and takes records again
once there is room.

The full disk is real: the spool lives on a small tmpfs mounted for the test (the test runs
as root), filled with a file until no page is left.
"""

import contextlib
import dataclasses
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.gateway.conftest import Gateways
from tests.unit.adapters import golden

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

#: The spool's disk, in bytes.
DISK_BYTES = 512 * 1024
#: How many records the test offers the full disk at most before it must refuse.
TRIES = 40


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount_point = tmp_path / "spool-disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES},mode=0755", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.fail(f"cannot mount a tmpfs (the test needs root): {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "--lazy", str(mount_point)], check=True)


def _fill(disk: Path) -> Path:
    filler = disk / "taken-by-something-else.bin"
    stats = os.statvfs(disk)
    filler.write_bytes(b"\0" * stats.f_bavail * stats.f_frsize)
    assert os.statvfs(disk).f_bavail == 0
    return filler


def _signal(number: int) -> dict[str, object]:
    record = golden.native("police", "signal")
    record["kusp_number"] = f"КУСП-2026-{number:06d}"
    return record


def test_a_full_spool_disk_refuses_new_records_and_loses_none(
    gateways: Gateways, small_disk: Path
) -> None:
    options = dataclasses.replace(gateways.options("police"), spool=small_disk / "spool.sqlite")
    gateway, police = gateways.start(options)
    filler = _fill(small_disk)

    answers = [
        httpx.post(f"{police.url}/referrals", json=_signal(n), timeout=30) for n in range(TRIES)
    ]

    refused = [a for a in answers if a.status_code == 503]
    assert refused, "the full disk never refused a record"
    assert refused[0].json()["code"] == "gateway.spool_unavailable"
    assert {a.status_code for a in answers} <= {200, 503}
    accepted = {a.json()["message_id"] for a in answers if a.status_code == 200}
    # Once there is room again, records are taken, and every one answered 200 was kept.
    filler.unlink()
    again = httpx.post(f"{police.url}/referrals", json=_signal(TRIES), timeout=30)
    assert again.status_code == 200, again.text
    police.stop()
    gateway.close()
    with contextlib.closing(sqlite3.connect(options.spool)) as spool:
        rows = spool.execute("SELECT message_id FROM outgoing WHERE state = 'sent'").fetchall()
    assert accepted | {again.json()["message_id"]} <= {row[0] for row in rows}
