"""The school simulator over real transports on loopback: the hub's file transport writes into
its outbox, and the school's gateway (``hub gateway run education``, sharing its folder)
posts its files to a hub stand-in served by uvicorn over HTTP."""

import time
from collections.abc import Callable, Iterator
from datetime import timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import etree
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

import schemas
from adapters.base import OutboundMessage
from adapters.education import EducationTransport, ExchangeFolder
from adapters.education.simulator import create_app
from adapters.gateway.process import Gateway
from adapters.simulation import SimulatorServer
from schemas import canonical as c
from signing import DevPki, XmlVerifier
from tests.integration.adapters.conftest import payload_as
from tests.stack import quick_gateway
from tests.unit.adapters.credentials import partner_credentials
from tests.unit.adapters.education import golden

#: How long the school may take to pick up a file and answer, in seconds (a bound on a
#: failure only: a loaded machine may keep the school's loop waiting for a core).
DEADLINE_S = 30.0
PUPIL = {
    "last_name": "Григорьев",
    "first_name": "Артём",
    "middle_name": "Олегович",
    "birth_date": "2013-09-12",
    "sex": "М",
    "class": "6 «Б»",
    "address": {
        "region": "Камчатский край",
        "district": "Елизовский район",
        "locality": "г. Елизово",
        "street": "ул. Ленина",
        "house": "27",
        "flat": "14",
    },
    "parent": {
        "last_name": "Григорьева",
        "first_name": "Наталья",
        "birth_date": "1989-02-03",
        "kinship": "мать",
    },
    "lessons_missed": 46,
    "absent_from": "2026-02-01",
    "absent_to": "2026-03-13",
}

#: The hub stand-in and the messages it accepted, by MessageId.
Hub = tuple[SimulatorServer, dict[str, etree._Element]]
#: The school simulator and its exchange folder.
School = tuple[SimulatorServer, ExchangeFolder]


def hub_app(dev_pki: DevPki, accepted: dict[str, etree._Element]) -> Starlette:
    """The hub's message endpoint: verifies the signature; 202 once per MessageId, then 409."""
    verifier = XmlVerifier(dev_pki.trust_store())

    async def post(request: Request) -> Response:
        verified = verifier.verify(
            schemas.parse_xml(await request.body()), expected_sender="education"
        )
        header = schemas.read_header(verified.signed_xml)
        if header.message_id in accepted:
            return JSONResponse({"code": "replay.duplicate", "detail": "seen"}, 409)
        accepted[header.message_id] = verified.signed_xml
        return JSONResponse({"message_id": header.message_id, "hub_id": len(accepted)}, 202)

    return Starlette(routes=[Route("/api/v1/messages", post, methods=["POST"])])


@pytest.fixture
def hub(dev_pki: DevPki) -> Iterator[Hub]:
    accepted: dict[str, etree._Element] = {}
    with SimulatorServer(hub_app(dev_pki, accepted)) as server:
        yield server, accepted


@pytest.fixture
def school(dev_pki: DevPki, hub: Hub, tmp_path: Path) -> Iterator[School]:
    server, _ = hub
    credentials = partner_credentials(
        dev_pki, "education", "Управление образования", tmp_path / "cred"
    )
    folder = ExchangeFolder.of(tmp_path / "exchange", "school-3")
    app = create_app(tmp_path / "state", folder=folder, zone=timezone(timedelta(hours=12)))
    gateway = Gateway(
        quick_gateway(
            "education",
            hub_url=server.url,
            bundle=credentials,
            system=folder.path.as_uri(),
            spool=tmp_path / "gateway" / "spool.sqlite",
        )
    )
    try:
        with SimulatorServer(app) as school, SimulatorServer(gateway.app):
            yield school, folder
    finally:
        gateway.close()


def wait_for(check: Callable[[dict[str, Any]], object], url: str) -> dict[str, Any]:
    deadline = time.monotonic() + DEADLINE_S
    while True:
        state: dict[str, Any] = httpx.get(f"{url}/state").json()
        if check(state):
            return state
        assert time.monotonic() < deadline, state
        time.sleep(0.05)


def _outbound(stem: str, delivery_id: int) -> OutboundMessage:
    envelope = golden.outbound_messages()[stem]
    header = schemas.read_header(envelope)
    return OutboundMessage(
        delivery_id,
        "education",
        header.message_id,
        header.message_type,
        "routine",
        etree.tostring(envelope),
    )


def test_an_assignment_written_twice_is_taken_once_and_answered_accepted_then_done(
    hub: Hub, school: School
) -> None:
    (_, accepted), (server, folder) = hub, school
    transport = EducationTransport.connect(folder.path.as_uri(), 5.0)

    transport.deliver(_outbound("assignment", 1))
    # Taken: recorded and moved to the archive, so the redelivery is a new file.
    wait_for(lambda s: s["received"] and not s["waiting"]["outbox"], server.url)
    transport.deliver(_outbound("assignment", 2))
    state = wait_for(
        lambda s: len(s["processed"]) == 2 and len(accepted) == 2 and not s["waiting"]["outbox"],
        server.url,
    )

    assert [(r["message_id"], r["message_type"]) for r in state["received"]] == [
        (golden.ASSIGNMENT_ID, "ActionAssignment")
    ]
    assert state["counts"]["deliveries"] == 2
    updates = [c.from_envelope(e) for e in accepted.values()]
    assert [payload_as(u, c.ActionStatusUpdate).status for u in updates] == ["accepted", "done"]
    assert {u.header.correlation_id for u in updates} == {golden.ASSIGNMENT_ID}
    assert {u.header.case_ref for u in updates} == {"KAM-2026-0147"}
    assert sorted(p.name for p in folder.archive.iterdir()) == [
        f"actions_{golden.ASSIGNMENT_ID}.1.csv",
        f"actions_{golden.ASSIGNMENT_ID}.csv",
    ]


def test_an_information_request_is_answered(hub: Hub, school: School) -> None:
    (_, accepted), (server, folder) = hub, school
    EducationTransport.connect(folder.path.as_uri(), 5.0).deliver(_outbound("request", 1))

    wait_for(lambda s: s["processed"] and accepted, server.url)

    (answer,) = [c.from_envelope(e) for e in accepted.values()]
    assert answer.header.message_type == "InformationResponse"
    assert answer.header.correlation_id == _outbound("request", 1).message_id
    assert payload_as(answer, c.InformationResponse).request_id == "ЗАП-2026/0088"


def test_absences_are_written_in_cp1251_and_utf8_and_become_referrals(
    hub: Hub, school: School
) -> None:
    (_, accepted), (server, folder) = hub, school

    first = httpx.post(f"{server.url}/absences", json=[PUPIL, {**PUPIL, "first_name": "Ёжи"}])
    second = httpx.post(f"{server.url}/absences", json=[PUPIL])
    wait_for(lambda s: len(s["processed"]) == 2 and len(accepted) == 3, server.url)

    assert (first.status_code, first.json()["encoding"], first.json()["rows"]) == (202, "cp1251", 2)
    assert second.json()["encoding"] == "utf-8"
    referrals = [payload_as(c.from_envelope(e), c.FamilyReferral) for e in accepted.values()]
    assert [r.children[0].name.first for r in referrals] == ["Артём", "Ёжи", "Артём"]
    assert {r.source for r in referrals} == {"school_absence"}
    assert sorted(p.name for p in folder.processed.iterdir()) == sorted(
        [first.json()["file"], second.json()["file"]]
    )


def test_a_bad_absence_report_is_rejected_with_its_row_and_column_in_the_state(
    hub: Hub, school: School
) -> None:
    (_, accepted), (server, folder) = hub, school
    pupil = {**PUPIL, "birth_date": "когда-то"}

    httpx.post(f"{server.url}/absences", json=[PUPIL, pupil], params={"encoding": "utf-8"})
    state = wait_for(lambda s: s["rejected_files"], server.url)

    (rejected,) = state["rejected_files"]
    assert rejected["errors"] == [
        {"row": 3, "column": "Дата рождения", "reason": "not a date (ДД.ММ.ГГГГ)"}
    ]
    assert accepted == {}
    assert (folder.rejected / f"{rejected['file']}.errors.csv").exists()


def test_an_outage_keeps_files_waiting_in_the_folders(school: School) -> None:
    server, folder = school
    httpx.post(f"{server.url}/control/outage", json={"failures": 10_000}).raise_for_status()
    EducationTransport.connect(folder.path.as_uri(), 5.0).deliver(_outbound("closure", 1))

    state = wait_for(lambda s: s["waiting"]["outbox"], server.url)
    assert state["received"] == []

    httpx.post(f"{server.url}/control/outage", json={"failures": 0}).raise_for_status()
    state = wait_for(lambda s: s["received"], server.url)
    assert [r["message_type"] for r in state["received"]] == ["CaseClosure"]
