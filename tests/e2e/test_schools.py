"""Two schools of one agency, end to end: each runs with its own bundle and exchange folder,
and the hub's worker writes each school only the plan's action named for it.

Real uvicorn servers, a dramatiq worker on the machine's Redis, SQLite and PostgreSQL,
signatures with each school's own certificate, files in each school's own folder.
"""

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from adapters.education import csvfile
from adapters.hub_client import HubRefused
from hub.onboarding import onboard_partner
from hub.runtime import utc_now
from hub.store import CaseAction, CaseConflict
from signing import DevPki
from tests.factories import make_envelope
from tests.integration.cases.story import PLAN_ID, set_texts
from tests.stack import RunningHub, fast_settings, running_hub

DEADLINE_S = 30.0
CASE = "KAM-2026-000950"
SCHOOLS = {"edu-school-a": "МБОУ «СОШ № 12»", "edu-school-b": "МБОУ «Гимназия № 1»"}
#: The sample plan's lines (tests/data/SupportPlan-1.0.xml), and whom this plan names.
PLAN = {"ИПСС-0457-03": "health", "ИПСС-0457-07": "edu-school-a", "ИПСС-0457-09": "edu-school-b"}


@pytest.fixture
def hub(data_dir: Path, database_url: str, redis_url: str, pki: DevPki) -> Iterator[RunningHub]:
    """The hub with its worker, and two schools onboarded under education, each with a folder."""
    settings = fast_settings(data_dir, database_url, redis_url)
    with running_hub(settings, pki) as running:
        with running.runtime.session_factory.begin() as session:
            for code, name in SCHOOLS.items():
                folder = data_dir / "exchange" / code
                (folder / "outbox").mkdir(parents=True)
                onboard_partner(
                    session, pki, data_dir=data_dir, code=code, organisation=name,
                    endpoint=folder.as_uri(), now=utc_now(), agency="education",
                )  # fmt: skip
        yield running


def _eventually(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {DEADLINE_S} s: {what}")
        time.sleep(0.1)


def _action_ids(folder: Path, message_id: str) -> list[str] | None:
    """The ActionIds of the plan file the hub wrote for the school; None before it is there."""
    files = list((folder / "outbox").glob(f"*_{message_id}.csv"))
    if not files:
        return None
    text = csvfile.decode(files[0].read_bytes())
    return [action for action in PLAN if action in text]


def _status(hub: RunningHub, sender: str, action_id: str, *, signer: str | None = None) -> str:
    """School ``sender`` posts "done" for ``action_id``, signed with ``signer``'s bundle."""
    envelope = make_envelope("ActionStatusUpdate", sender=sender, case_ref=CASE)
    set_texts(envelope, {"ActionId": action_id, "PlanId": PLAN_ID, "Status": "done"})
    with hub.client(signer or sender) as signing, hub.client(sender) as posting:
        receipt = posting.send_signed(signing.sign(envelope), "")
    return receipt.message_id


def test_each_school_gets_its_own_action_and_answers_only_for_it(
    hub: RunningHub, data_dir: Path
) -> None:
    plan = make_envelope("SupportPlan", sender="social", case_ref=CASE)
    set_texts(plan, {"Actions/Action/ResponsibleAgency": list(PLAN.values())})

    with hub.client("social") as social:
        receipt = social.send(plan)

    assert {d.recipient for d in receipt.deliveries} >= {"edu-school-a", "edu-school-b"}
    assert "education" not in {d.recipient for d in receipt.deliveries}
    exchange = data_dir / "exchange"
    _eventually(
        lambda: (
            _action_ids(exchange / "edu-school-a", receipt.message_id) is not None
            and _action_ids(exchange / "edu-school-b", receipt.message_id) is not None
        ),
        "both schools hold their plan file",
    )
    assert _action_ids(exchange / "edu-school-a", receipt.message_id) == ["ИПСС-0457-07"]
    assert _action_ids(exchange / "edu-school-b", receipt.message_id) == ["ИПСС-0457-09"]

    # School A reports on its action; its status for school B's action is not applied.
    _status(hub, "edu-school-a", "ИПСС-0457-07")
    _status(hub, "edu-school-a", "ИПСС-0457-09")
    with hub.runtime.session_factory() as session:
        status = {a.action_id: a.status for a in session.scalars(select(CaseAction))}
        conflicts = [(c.sender, c.code) for c in session.scalars(select(CaseConflict))]
    assert (status["ИПСС-0457-07"], status["ИПСС-0457-09"]) == ("done", "assigned")
    assert conflicts == [("edu-school-a", "case.action_not_executor")]

    # School A's certificate cannot sign as school B, even posted with school B's API key.
    with pytest.raises(HubRefused) as refused:
        _status(hub, "edu-school-b", "ИПСС-0457-09", signer="edu-school-a")
    assert refused.value.code == "signature.signer_not_sender"
