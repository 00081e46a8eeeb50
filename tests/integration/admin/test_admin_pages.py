"""The administrators' pages over a real hub server: who may open them, and what each does.

Given referrals accepted by the real pipeline and one of their deliveries dead, an
administrator sees the dashboard, the search, one message (personal data masked),
and replays, cancels, pauses and resumes from the page, each audited with its reason.
Curators, officers and supervisors get 403 on every page and action, without a session
the login form; refusals show their code in Russian and change nothing. An observer
reads but changes nothing; an operator steers delivery and stops a bulk replay; only
auditors handle evidence, and the zip leaves only after a second auditor approved.
"""

import io
import re
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from hub.admin import MASK
from hub.alerts import check_alerts, load_alert_rules
from hub.cases.scope import Role
from hub.cli import app
from hub.operations import Actor
from hub.people import add_person
from hub.replays import run_replay_batch, start_replay_batch
from hub.store import (
    AuditEntry,
    DeliveryStatus,
    EvidenceRequest,
    MessageLog,
    OutboxDelivery,
    Partner,
)
from hub.web.routes import admin as admin_routes
from signing import DevPki
from tests.factories import Signers, make_envelope
from tests.stack import RunningHub

PASSWORD = "пароль-администратора-2026"
#: Personal data of schemas/examples/FamilyReferral-1.0.xml that the page must never show.
PERSONAL = ("Вершинина", "Ольга", "Вершинин", "Сорокина", "+7 900 000-00-01", "Ключевская")

#: The pages and actions are tested with SQLite; the read models run on both backends.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

ACCOUNTS = (
    ("admin", Role.ADMINISTRATOR, None, None),
    ("curator", Role.CURATOR, "kamchatka", "social"),
    ("officer", Role.OFFICER, "kamchatka", "kdn"),
    ("supervisor", Role.SUPERVISOR, "kamchatka", None),
    ("observer", Role.OBSERVER, None, None),
    ("operator", Role.OPERATOR, None, None),
    ("auditor", Role.AUDITOR, None, None),
    ("auditor2", Role.AUDITOR, None, None),
)
OTHERS = ("curator", "officer", "supervisor")


class Seeded:
    def __init__(self, hub: RunningHub, hub_ids: list[int], dead_id: int, other_id: int):
        self.hub = hub
        self.hub_ids = hub_ids
        #: A dead delivery of the first message, and another (pending) delivery.
        self.dead_id = dead_id
        self.other_id = other_id


@pytest.fixture
def seeded(hub_api: RunningHub, pki: DevPki) -> Seeded:
    # Signed with this test's PKI: onboarding re-issued the partners' certificates and
    # registered only the new ones.
    signers = Signers(pki)
    now = datetime.now(UTC)
    with hub_api.runtime.session_factory.begin() as session:
        for login, role, region, agency in ACCOUNTS:
            add_person(
                session,
                login=login,
                display_name=f"Пользователь {login}",
                role=role,
                region=region,
                agency=agency,
                password=PASSWORD,
                now=now,
            )
    receipts = [
        hub_api.runtime.ingestor.ingest(
            signers.sign(make_envelope(sender="police", case_ref="KAM-9")),
            authenticated="police",
        ),
        hub_api.runtime.ingestor.ingest(
            signers.sign(make_envelope(sender="kdn")), authenticated="kdn"
        ),
    ]
    with hub_api.runtime.session_factory.begin() as session:
        rows = session.scalars(select(OutboxDelivery).order_by(OutboxDelivery.id)).all()
        dead, other = rows[0], rows[-1]
        dead.status = DeliveryStatus.DEAD
        dead.last_error = "partner refused: HTTP 400"
        dead_id, other_id = dead.id, other.id
    return Seeded(hub_api, [r.hub_id for r in receipts], dead_id, other_id)


class Browsers:
    """Per login, an httpx client with that person's session cookie, like a browser."""

    def __init__(self, hub: RunningHub) -> None:
        self.hub = hub
        self.clients: dict[str, httpx.Client] = {}
        self.tokens: dict[str, str] = {}

    def __getitem__(self, login: str) -> httpx.Client:
        if login not in self.clients:
            answer = httpx.post(
                f"{self.hub.url}/api/v1/session",
                json={"login": login, "password": PASSWORD},
                timeout=10,
            )
            assert answer.status_code == 201, answer.text
            self.tokens[login] = answer.json()["token"]
            self.clients[login] = httpx.Client(
                base_url=self.hub.url, cookies={"hub_session": self.tokens[login]}, timeout=10
            )
        return self.clients[login]

    def bearer(self, login: str) -> dict[str, str]:
        """The API's authorisation header for ``login``'s session."""
        self[login]
        return {"Authorization": f"Bearer {self.tokens[login]}"}

    def csrf(self, login: str) -> str:
        page = self[login].get("/cases")
        match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert match is not None
        return match.group(1)

    def close(self) -> None:
        for client in self.clients.values():
            client.close()


@pytest.fixture
def browsers(seeded: Seeded) -> Iterator[Browsers]:
    clients = Browsers(seeded.hub)
    yield clients
    clients.close()


def _pages(seeded: Seeded) -> list[str]:
    return [
        "/admin",
        "/admin/overview.json",
        "/admin/messages",
        "/admin/messages?status=dead",
        f"/admin/messages/{seeded.hub_ids[0]}",
    ]


def _actions(seeded: Seeded) -> list[tuple[str, dict[str, str]]]:
    return [
        (f"/admin/deliveries/{seeded.dead_id}/replay", {}),
        ("/admin/deliveries/replay", {"partner": "social"}),
        (f"/admin/deliveries/{seeded.other_id}/cancel", {}),
        ("/admin/partners/social/pause", {}),
        ("/admin/partners/social/resume", {}),
        ("/admin/replays/1/stop", {}),
    ]


def _evidence_actions(seeded: Seeded) -> list[tuple[str, dict[str, str]]]:
    return [
        (f"/admin/messages/{seeded.hub_ids[0]}/evidence-requests", {}),
        ("/admin/evidence/1/approve", {}),
        ("/admin/evidence/1/download", {}),
    ]


def _state(seeded: Seeded) -> tuple[object, ...]:
    """What the actions would change: delivery statuses, pauses, steering audit rows."""
    with seeded.hub.runtime.session_factory() as session:
        statuses = tuple(
            session.execute(
                select(OutboxDelivery.id, OutboxDelivery.status).order_by(OutboxDelivery.id)
            ).all()
        )
        paused = tuple(session.execute(select(Partner.code, Partner.paused)).all())
        steering = session.scalar(
            select(AuditEntry.id)
            .where(
                AuditEntry.action.in_(
                    [
                        "delivery.replay",
                        "delivery.cancel",
                        "partner.pause",
                        "replay.stop",
                        "evidence.request",
                        "evidence.approve",
                        "evidence.export",
                    ]
                )
            )
            .limit(1)
        )
    return statuses, paused, steering


def _actions_of(seeded: Seeded, action: str) -> list[AuditEntry]:
    with seeded.hub.runtime.session_factory() as session:
        return list(
            session.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )


# --- Who may ------------------------------------------------------------------------------


@pytest.mark.parametrize("login", OTHERS)
def test_other_roles_get_403_on_every_page_and_action_and_nothing_changes(
    seeded: Seeded, browsers: Browsers, login: str
) -> None:
    before = _state(seeded)
    client = browsers[login]
    token = browsers.csrf(login)
    for page in _pages(seeded):
        answer = client.get(page)
        assert answer.status_code == 403, page
        assert "недоступна" in answer.text
    for path, fields in _actions(seeded) + _evidence_actions(seeded):
        answer = client.post(path, data={"csrf_token": token, "reason": "проверка", **fields})
        assert answer.status_code == 403, path
    assert _state(seeded) == before
    # Nor is the section offered to them.
    assert "Администрирование" not in client.get("/cases").text


def test_without_a_session_pages_and_actions_go_to_the_login_form(seeded: Seeded) -> None:
    before = _state(seeded)
    with httpx.Client(base_url=seeded.hub.url, timeout=10) as anonymous:
        for page in _pages(seeded):
            answer = anonymous.get(page)
            assert answer.status_code == 303, page
            assert answer.headers["location"].startswith("/login?next=%2Fadmin")
        for path, fields in _actions(seeded) + _evidence_actions(seeded):
            answer = anonymous.post(path, data={"reason": "проверка", **fields})
            assert answer.status_code == 303, path
            assert answer.headers["location"] == "/login"
    assert _state(seeded) == before


def test_a_form_without_the_session_csrf_token_is_refused(
    seeded: Seeded, browsers: Browsers
) -> None:
    before = _state(seeded)
    for path, fields in _actions(seeded):
        answer = browsers["admin"].post(
            path, data={"csrf_token": "forged", "reason": "x", **fields}
        )
        assert answer.status_code == 403, path
        assert "Форма устарела" in answer.text
    assert _state(seeded) == before


# --- What administrators see --------------------------------------------------------------


def test_the_dashboard_shows_the_figures_and_is_audited(seeded: Seeded, browsers: Browsers) -> None:
    admin = browsers["admin"]
    page = admin.get("/admin")
    assert page.status_code == 200
    html = page.text
    assert "Администрирование" in html  # the nav link, for administrators only
    assert 'href="/admin/messages?status=dead&amp;partner=social"' in html
    assert "Повторить все" in html
    assert 'data-live="deliveries.dead">1<' in html
    assert '<script src="/static/admin.js" defer></script>' in html
    assert "chart-flow-type" in html
    assert "<script>" not in html
    assert "style=" not in html

    live = admin.get("/admin/overview.json")
    assert live.status_code == 200
    figures = live.json()
    assert figures["deliveries"]["dead"] == 1
    assert figures["partners"]["social"]["dead"] == 1
    assert set(figures["latency"]) == {"all", "urgent"}
    assert sum(figures["flow"]["by_type"]["FamilyReferral"]) == 2

    (audit,) = _actions_of(seeded, "admin.view")
    assert audit.login == "admin"
    assert "page=dashboard" in (audit.detail or "")
    assert admin.get("/static/admin.js").status_code == 200
    assert admin.get("/static/admin.css").status_code == 200


def test_search_and_message_page_show_masked_xml_and_are_audited(
    seeded: Seeded, browsers: Browsers
) -> None:
    admin = browsers["admin"]
    dead = admin.get("/admin/messages", params={"status": "dead"})
    assert dead.status_code == 200
    assert f'href="/admin/messages/{seeded.hub_ids[0]}"' in dead.text
    assert f'href="/admin/messages/{seeded.hub_ids[1]}"' not in dead.text
    by_case = admin.get("/admin/messages", params={"case_ref": "KAM-9"})
    assert f'href="/admin/messages/{seeded.hub_ids[0]}"' in by_case.text
    assert admin.get("/admin/messages", params={"since": "not a date"}).status_code == 422

    page = admin.get(f"/admin/messages/{seeded.hub_ids[0]}")
    assert page.status_code == 200
    for value in PERSONAL:
        assert value not in page.text, value
    assert MASK in page.text
    assert "Подпись верна на момент приёма" in page.text
    assert "partner refused: HTTP 400" in page.text
    assert f'action="/admin/deliveries/{seeded.dead_id}/replay"' in page.text
    (view,) = _actions_of(seeded, "message.view")
    assert view.case_ref == "KAM-9"
    assert f"hub_id={seeded.hub_ids[0]}" in (view.detail or "")

    missing = admin.get("/admin/messages/999999")
    assert missing.status_code == 404
    assert "Сообщение не найдено" in missing.text


def test_the_search_is_paged_with_back_and_next_keeping_the_filters(
    seeded: Seeded, browsers: Browsers, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given pages of one row (the two seeded messages make two pages)
    monkeypatch.setattr(admin_routes, "PAGE_ROWS", 1)
    admin = browsers["admin"]
    newer, older = sorted(seeded.hub_ids, reverse=True)

    first = admin.get("/admin/messages", params={"type": "FamilyReferral", "done": "replayed"})
    assert f'href="/admin/messages/{newer}"' in first.text
    assert f'href="/admin/messages/{older}"' not in first.text
    assert "Назад" not in first.text
    next_link = re.search(r'<a href="([^"]+)" rel="next">Далее', first.text)
    assert next_link is not None
    # The filters go along; the notice of an earlier operation does not.
    assert "type=FamilyReferral" in next_link.group(1)
    assert "done=" not in next_link.group(1)

    second = admin.get(next_link.group(1).replace("&amp;", "&"))
    assert f'href="/admin/messages/{older}"' in second.text
    assert f'href="/admin/messages/{newer}"' not in second.text
    assert "Сообщения 2–2" in second.text
    assert "Далее" not in second.text
    assert re.search(r'<a href="[^"]*page=1[^"]*" rel="prev">← Назад</a>', second.text)

    past_the_end = admin.get("/admin/messages", params={"page": 3})
    assert "Ничего не найдено" in past_the_end.text
    assert admin.get("/admin/messages", params={"page": 0}).status_code == 422
    details = [entry.detail or "" for entry in _actions_of(seeded, "admin.view")]
    assert any("page=messages" in d and "page_no=2" in d for d in details)


# --- Operations ---------------------------------------------------------------------------


def test_replay_from_the_page_redirects_back_with_a_notice_and_is_audited(
    seeded: Seeded, browsers: Browsers
) -> None:
    admin = browsers["admin"]
    back = f"/admin/messages/{seeded.hub_ids[0]}"
    answer = admin.post(
        f"/admin/deliveries/{seeded.dead_id}/replay",
        data={"csrf_token": browsers.csrf("admin"), "reason": "партнёр починил шлюз", "back": back},
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == f"{back}?done=replayed&count=1"
    assert "Поставлено на повторную отправку: 1" in admin.get(answer.headers["location"]).text
    with seeded.hub.runtime.session_factory() as session:
        assert session.get_one(OutboxDelivery, seeded.dead_id).status is DeliveryStatus.PENDING
    (audit,) = _actions_of(seeded, "delivery.replay")
    assert (audit.login, audit.role, audit.reason) == (
        "admin",
        "administrator",
        "партнёр починил шлюз",
    )


def test_an_operation_without_a_reason_is_refused_in_russian_and_changes_nothing(
    seeded: Seeded, browsers: Browsers
) -> None:
    before = _state(seeded)
    answer = browsers["admin"].post(
        f"/admin/deliveries/{seeded.dead_id}/replay",
        data={"csrf_token": browsers.csrf("admin"), "reason": "  "},
    )
    assert answer.status_code == 422
    assert "Укажите причину" in answer.text
    assert "ops.reason_required" in answer.text
    assert _state(seeded) == before


def test_an_unknown_delivery_is_a_clear_error_and_changes_nothing(
    seeded: Seeded, browsers: Browsers
) -> None:
    before = _state(seeded)
    token = browsers.csrf("admin")
    for action in ("replay", "cancel"):
        answer = browsers["admin"].post(
            f"/admin/deliveries/987654/{action}", data={"csrf_token": token, "reason": "ошибка"}
        )
        assert answer.status_code == 404
        assert "Такой доставки нет" in answer.text
        assert "ops.unknown_delivery" in answer.text
    assert _state(seeded) == before


def test_replaying_a_delivered_one_is_refused_not_dead_and_changes_nothing(
    seeded: Seeded, browsers: Browsers
) -> None:
    with seeded.hub.runtime.session_factory.begin() as session:
        session.execute(
            update(OutboxDelivery)
            .where(OutboxDelivery.id == seeded.other_id)
            .values(status=DeliveryStatus.DELIVERED, delivered_at=datetime.now(UTC))
        )
    before = _state(seeded)
    answer = browsers["admin"].post(
        f"/admin/deliveries/{seeded.other_id}/replay",
        data={"csrf_token": browsers.csrf("admin"), "reason": "ещё раз"},
    )
    assert answer.status_code == 409
    assert "ops.not_dead" in answer.text
    assert "Повторить можно только недоставленное" in answer.text
    assert _state(seeded) == before


def test_cancel_pause_resume_and_filtered_replay_from_the_page(
    seeded: Seeded, browsers: Browsers
) -> None:
    admin = browsers["admin"]
    token = browsers.csrf("admin")

    def post(path: str, **fields: str) -> httpx.Response:
        return admin.post(path, data={"csrf_token": token, "reason": "по заявке", **fields})

    assert post(f"/admin/deliveries/{seeded.other_id}/cancel").status_code == 303
    assert post("/admin/partners/social/pause").headers["location"] == (
        "/admin?done=paused&count=1"
    )
    again = post("/admin/partners/social/pause")
    assert again.status_code == 409
    assert "ops.already_paused" in again.text
    assert post("/admin/partners/social/resume").status_code == 303
    assert post("/admin/partners/nobody/pause").status_code == 404
    replayed = post("/admin/deliveries/replay", partner="social", back="//evil.example/")
    assert replayed.headers["location"] == "/admin?done=replayed&count=1"

    with seeded.hub.runtime.session_factory() as session:
        other = session.get_one(OutboxDelivery, seeded.other_id)
        assert (other.status, other.cancel_reason) == (DeliveryStatus.CANCELLED, "по заявке")
        assert session.get_one(OutboxDelivery, seeded.dead_id).status is DeliveryStatus.PENDING
        assert not session.scalars(select(Partner.paused).where(Partner.code == "social")).one()
    actions = [a.action for a in _actions_of(seeded, "partner.pause")]
    actions += [a.action for a in _actions_of(seeded, "partner.resume")]
    assert actions == ["partner.pause", "partner.resume"]


def test_an_observer_reads_every_page_and_every_change_is_refused_and_audited(
    seeded: Seeded, browsers: Browsers
) -> None:
    before = _state(seeded)
    observer = browsers["observer"]
    token = browsers.csrf("observer")
    for page in _pages(seeded):
        assert observer.get(page).status_code == 200, page
    assert "Повторить все" not in observer.get("/admin/messages?status=dead").text
    refused = _actions(seeded) + _evidence_actions(seeded)
    for path, fields in refused:
        answer = observer.post(path, data={"csrf_token": token, "reason": "проверка", **fields})
        assert answer.status_code == 403, path
        assert "Для вашей роли эта страница недоступна" in answer.text
    assert _state(seeded) == before
    audited = [a.detail for a in _actions_of(seeded, "access.refused")]
    assert audited == [f"POST {path}" for path, _ in refused]
    assert {a.login for a in _actions_of(seeded, "access.refused")} == {"observer"}


def test_administrators_and_operators_get_no_evidence_and_auditors_no_operations(
    seeded: Seeded, browsers: Browsers
) -> None:
    before = _state(seeded)
    for login, actions in (
        ("admin", _evidence_actions(seeded)),
        ("operator", _evidence_actions(seeded)),
        ("auditor", _actions(seeded)),
    ):
        token = browsers.csrf(login)
        for path, fields in actions:
            answer = browsers[login].post(path, data={"csrf_token": token, "reason": "x", **fields})
            assert answer.status_code == 403, (login, path)
    assert browsers["admin"].get("/admin/evidence").status_code == 403
    assert _state(seeded) == before
    page = browsers["admin"].get(f"/admin/messages/{seeded.hub_ids[0]}").text
    assert "Запросить доказательный пакет" not in page
    # What an operator may do, it does.
    answer = browsers["operator"].post(
        f"/admin/deliveries/{seeded.dead_id}/replay",
        data={"csrf_token": browsers.csrf("operator"), "reason": "шлюз исправлен"},
    )
    assert answer.status_code == 303
    (audit,) = _actions_of(seeded, "delivery.replay")
    assert (audit.login, audit.role) == ("operator", "operator")


def test_the_dry_run_page_sends_nothing_and_a_bulk_replay_is_stopped_from_the_dashboard(
    seeded: Seeded, browsers: Browsers
) -> None:
    before = _state(seeded)
    page = browsers["observer"].get(
        "/admin/deliveries/replay-preview", params={"partner": "social"}
    )
    assert page.status_code == 200
    assert "Будет отправлено повторно: 1" in page.text
    assert f"<td>{seeded.dead_id}</td>" in page.text
    for personal in PERSONAL:
        assert personal not in page.text
    assert "Повторить все" not in page.text  # an observer is not offered the replay
    assert "Повторить все" in browsers["operator"].get("/admin/deliveries/replay-preview").text
    assert _state(seeded) == before

    # A running bulk replay is stopped from the dashboard; its rows stay dead.
    runtime = seeded.hub.runtime
    with runtime.session_factory.begin() as session:
        batch_id = start_replay_batch(
            session, actor=Actor("operator", "operator"), reason="x", now=datetime.now(UTC)
        ).id
    dashboard = browsers["operator"].get("/admin").text
    assert f'action="/admin/replays/{batch_id}/stop"' in dashboard
    answer = browsers["operator"].post(
        f"/admin/replays/{batch_id}/stop",
        data={"csrf_token": browsers.csrf("operator"), "reason": "шторм повторов"},
    )
    assert answer.headers["location"] == "/admin?done=stopped&count=1"
    again = browsers["operator"].post(
        f"/admin/replays/{batch_id}/stop",
        data={"csrf_token": browsers.csrf("operator"), "reason": "ещё раз"},
    )
    assert (again.status_code, "ops.batch_finished" in again.text) == (409, True)
    assert (
        run_replay_batch(
            runtime.session_factory,
            batch_id,
            actor=Actor("operator", "operator"),
            clock=runtime.clock,
        )
        == []
    )
    with runtime.session_factory() as session:
        assert session.get_one(OutboxDelivery, seeded.dead_id).status is DeliveryStatus.DEAD
    (audit,) = _actions_of(seeded, "replay.stop")
    assert (audit.login, audit.reason) == ("operator", "шторм повторов")


def test_four_eyes_on_the_evidence_zip_from_the_pages(seeded: Seeded, browsers: Browsers) -> None:
    auditor, second = browsers["auditor"], browsers["auditor2"]
    token, token2 = browsers.csrf("auditor"), browsers.csrf("auditor2")
    ask = f"/admin/messages/{seeded.hub_ids[0]}/evidence-requests"
    assert auditor.post(ask, data={"csrf_token": token, "reason": ""}).status_code == 422
    asked = auditor.post(ask, data={"csrf_token": token, "reason": "запрос прокуратуры"})
    assert asked.headers["location"] == "/admin/evidence?done=requested"
    with seeded.hub.runtime.session_factory() as session:
        request_id = session.scalars(select(EvidenceRequest.id)).one()

    early = auditor.post(f"/admin/evidence/{request_id}/download", data={"csrf_token": token})
    own = auditor.post(f"/admin/evidence/{request_id}/approve", data={"csrf_token": token})
    assert (early.status_code, "evidence.not_approved" in early.text) == (409, True)
    assert (own.status_code, "evidence.self_approval" in own.text) == (403, True)
    assert "Утвердить" in second.get("/admin/evidence").text
    approved = second.post(f"/admin/evidence/{request_id}/approve", data={"csrf_token": token2})
    assert approved.headers["location"] == "/admin/evidence?done=approved"
    stranger = second.post(f"/admin/evidence/{request_id}/download", data={"csrf_token": token2})
    assert (stranger.status_code, "evidence.not_requester" in stranger.text) == (403, True)

    answer = auditor.post(f"/admin/evidence/{request_id}/download", data={"csrf_token": token})
    assert answer.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        message = archive.read("message.xml")
    with seeded.hub.runtime.session_factory() as session:
        assert message == session.get_one(MessageLog, seeded.hub_ids[0]).raw
    twice = auditor.post(f"/admin/evidence/{request_id}/download", data={"csrf_token": token})
    assert twice.status_code == 409
    (export,) = _actions_of(seeded, "evidence.export")
    assert (export.login, export.reason) == ("auditor", "запрос прокуратуры")
    assert "requested_by=auditor approved_by=auditor2" in (export.detail or "")
    assert [a.login for a in _actions_of(seeded, "evidence.approve")] == ["auditor2"]


def test_four_eyes_on_the_evidence_zip_through_the_api(seeded: Seeded, browsers: Browsers) -> None:
    api = browsers["auditor"]
    requests = "/api/v1/evidence-requests"
    asked = api.post(
        requests,
        json={"message": str(seeded.hub_ids[0]), "reason": "запрос суда"},
        headers=browsers.bearer("auditor"),
    )
    assert asked.status_code == 201, asked.text
    request_id = asked.json()["id"]
    approval = f"{requests}/{request_id}/approval"
    package = f"{requests}/{request_id}/package"

    early = api.post(package, headers=browsers.bearer("auditor"))
    own = api.post(approval, headers=browsers.bearer("auditor"))
    by_admin = api.post(approval, headers=browsers.bearer("admin"))
    assert (early.status_code, early.json()["code"]) == (409, "evidence.not_approved")
    assert (own.status_code, own.json()["code"]) == (403, "evidence.self_approval")
    assert (by_admin.status_code, by_admin.json()["code"]) == (403, "auth.role_forbidden")
    approved = api.post(approval, headers=browsers.bearer("auditor2"))
    assert (approved.status_code, approved.json()["approved_by"]) == (200, "auditor2")

    zipped = api.post(package, headers=browsers.bearer("auditor"))
    assert zipped.headers["content-type"] == "application/zip"
    again = api.post(package, headers=browsers.bearer("auditor"))
    assert (again.status_code, again.json()["code"]) == (409, "evidence.already_downloaded")
    (export,) = _actions_of(seeded, "evidence.export")
    assert "channel=api" in (export.detail or "")
    assert "requested_by=auditor approved_by=auditor2" in (export.detail or "")
    refused = [a.detail for a in _actions_of(seeded, "access.refused")]
    assert refused == [f"POST {approval}"]


def test_an_archived_message_whose_archive_is_absent_says_where_its_body_went(
    seeded: Seeded, browsers: Browsers
) -> None:
    # The state ``hub archive`` leaves (tests/integration/archive reads the file back);
    # this hub has no HUB_ARCHIVE_DIR, so the body cannot be read here.
    hub_id, name = seeded.hub_ids[1], "hub-archive-20260101T000000Z.zip"
    with seeded.hub.runtime.session_factory.begin() as session:
        session.execute(
            update(MessageLog)
            .where(MessageLog.id == hub_id)
            .values(raw=b"", archive_name=name, archived_at=datetime.now(UTC))
        )
    admin = browsers["admin"]
    page = admin.get(f"/admin/messages/{hub_id}")
    assert page.status_code == 200
    said = f"тело сообщения перенесено в архив {name}; каталог архивов не задан"
    assert said in page.text
    assert "Подпись верна" not in page.text
    assert MASK not in page.text
    # …and an approved evidence request for it is refused, still approved, nothing exported
    api, requests = browsers["auditor"], "/api/v1/evidence-requests"
    asked = api.post(
        requests,
        json={"message": str(hub_id), "reason": "запрос суда"},
        headers=browsers.bearer("auditor"),
    )
    request_id = asked.json()["id"]
    approved = api.post(f"{requests}/{request_id}/approval", headers=browsers.bearer("auditor2"))
    assert approved.status_code == 200, approved.text
    answer = api.post(f"{requests}/{request_id}/package", headers=browsers.bearer("auditor"))
    assert (answer.status_code, answer.json()["code"]) == (409, "evidence.body_archived")
    assert said in answer.json()["detail"]
    assert _actions_of(seeded, "evidence.export") == []
    with seeded.hub.runtime.session_factory() as session:
        assert session.get_one(EvidenceRequest, request_id).status == "approved"


# --- The same overview on the terminal ----------------------------------------------------


def test_hub_stats_prints_the_overview_tables(seeded: Seeded) -> None:
    settings = seeded.hub.settings
    cli = CliRunner(
        env={
            "HUB_DATA_DIR": str(settings.data_dir),
            "DATABASE_URL": settings.database_url or "",
            "HUB_BROKER_URL": settings.broker_url or "",
            "COLUMNS": "200",
        }
    )
    result = cli.invoke(app, ["stats"])
    assert result.exit_code == 0, result.output
    for title in (
        "Deliveries by status",
        "Queue depth",
        "Latency accepted→delivered",
        "Rejections by code",
        "Partners",
    ):
        assert title in result.output
    social = next(
        line for line in result.output.splitlines() if "social" in line and "closed" in line
    )
    assert social.split("│")[-2].strip() == "1"  # its one dead delivery
    assert "urgent" in result.output


def test_the_alerts_panel_shows_an_incident_and_an_administrator_takes_it(
    seeded: Seeded, browsers: Browsers
) -> None:
    # Given the shipped rules evaluated over the seeded dead letter
    runtime = seeded.hub.runtime
    rules = load_alert_rules(None)
    (opened,) = check_alerts(
        runtime.settings, runtime.session_factory, rules, now=runtime.clock()
    ).opened
    admin = browsers["admin"]

    # Then the dashboard's «Оповещения» panel and the API list it, open
    page = admin.get("/admin").text
    for shown in ("Оповещения", f'id="alert-{opened}"', "Есть недоставленные", "не устранено"):
        assert shown in page
    listed = admin.get("/api/v1/alerts").json()["alerts"]
    assert [(a["id"], a["rule"], a["acked_by"]) for a in listed] == [(opened, "dead_letters", None)]
    assert browsers["curator"].get("/api/v1/alerts").status_code == 403

    # When the administrator takes it (a form without the CSRF token changes nothing)
    forged = admin.post(f"/admin/alerts/{opened}/ack", data={})
    answer = admin.post(f"/admin/alerts/{opened}/ack", data={"csrf_token": browsers.csrf("admin")})

    # Then it is acknowledged by them, audited, and the panel says who took it
    assert forged.status_code == 403
    assert answer.status_code == 303
    assert "Оповещение принято в работу" in admin.get(answer.headers["location"]).text
    (alert,) = admin.get("/api/v1/alerts").json()["alerts"]
    assert alert["acked_by"] == "admin"
    assert alert["acked_at"] is not None
    (audit,) = _actions_of(seeded, "alert.ack")
    assert audit.detail == f"channel=web incident={opened}"
