"""An exchange folder in a tmp dir and a fake hub behind a real ``HubClient``."""

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

import schemas
from adapters.education.folders import ExchangeFolder
from adapters.hub_client import HubClient
from signing import DevPki
from tests.unit.adapters.credentials import partner_credentials


@dataclass
class FakeHub:
    """The hub's ``POST /api/v1/messages``: 202 once per MessageId, then ``replay.duplicate``.

    ``answers`` overrides the next answers (a status and a problem code) when set.
    """

    accepted: dict[str, bytes] = field(default_factory=dict)
    posts: int = 0
    answers: list[tuple[int, str]] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.posts += 1
        if self.answers:
            status, code = self.answers.pop(0)
            return httpx.Response(status, json={"code": code, "detail": "test", "status": status})
        message_id = schemas.read_header(schemas.parse_xml(request.content)).message_id
        if message_id in self.accepted:
            return httpx.Response(409, json={"code": "replay.duplicate", "detail": "seen"})
        self.accepted[message_id] = request.content
        return httpx.Response(202, json={"message_id": message_id, "hub_id": len(self.accepted)})


@pytest.fixture(scope="session")
def education_credentials(dev_pki: DevPki, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("education-credentials")
    return partner_credentials(dev_pki, "education", "Управление образования", target)


@pytest.fixture
def fake_hub() -> FakeHub:
    return FakeHub()


@pytest.fixture
def hub(education_credentials: Path, fake_hub: FakeHub) -> Iterator[HubClient]:
    client = HubClient(
        "http://hub.test",
        education_credentials,
        http=httpx.Client(transport=httpx.MockTransport(fake_hub.handle)),
    )
    yield client
    client.close()


@pytest.fixture
def folder(tmp_path: Path) -> ExchangeFolder:
    return ExchangeFolder.of(tmp_path / "exchange", "school-3").create()


def drop(folder: ExchangeFolder, name: str, data: bytes, *, age_s: float = 60.0) -> Path:
    """Put a finished file into the inbox, last modified ``age_s`` seconds ago."""
    path = folder.inbox / name
    path.write_bytes(data)
    past = time.time() - age_s
    os.utime(path, (past, past))
    return path


def names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())
