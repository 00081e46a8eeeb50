"""The administrators' pages: dashboard, message trace, and steering delivery from the page.

The hub's staff only, each route for its roles (``hub.cases.scope``): every staff role
reads (``ADMIN_READERS``), administrators and operators change delivery (``OPERATORS``),
auditors handle evidence (``EVIDENCE_ROLES``); others get 403, audited, and no session
goes to the login form. Page views are audited (``admin.view``, ``message.view``); each
operation is a form POST with the session's CSRF token and a required «Причина», calling
``hub.operations``/``hub.replays`` (which audit it) and redirecting back with a notice,
or showing the refusal's code in Russian. Messages are shown with personal data masked;
the unmasked original leaves only as the evidence zip, after a second auditor approved
the request (``hub.evidence_requests``). The dashboard's numbers refresh in place from
``/admin/overview.json`` (``static/admin.js``).
"""

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from typing import Annotated, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from sqlalchemy.orm import Session

from hub.access import SignedIn, client_of, evidence_zip_response, require_roles, runtime_of
from hub.admin import (
    DELIVERY_STATES,
    FlowSeries,
    MessageDetail,
    Overview,
    TraceFilters,
    TrustMaterial,
    get_message_detail,
    read_overview,
    search_messages,
)
from hub.cases import ADMIN_READERS, EVIDENCE_ROLES, OPERATORS, labels
from hub.errors import BodyArchived, NotFound, OperationRefused
from hub.evidence_requests import (
    approve_evidence,
    download_evidence,
    list_evidence_requests,
    request_evidence,
)
from hub.operations import (
    Actor,
    cancel_delivery,
    pause_partner,
    replay_dead_letters,
    resume_partner,
)
from hub.people import record_audit
from hub.replays import (
    list_replay_batches,
    preview_replay,
    run_replay_batch,
    start_replay_batch,
    stop_replay_batch,
)
from hub.runtime import HubRuntime
from hub.store import (
    DeliveryStatus,
    IncidentNotFound,
    acknowledge_incident,
    list_incidents,
)
from hub.web.auth import csrf_checked_roles
from hub.web.charts import Series, hourly_chart
from hub.web.templating import TemplatesDep

router = APIRouter(
    prefix="/admin",
    include_in_schema=False,
    dependencies=[require_roles(*ADMIN_READERS)],
)

#: Reads: every staff role.
AdminDep = Annotated[SignedIn, require_roles(*ADMIN_READERS)]
#: Changes to delivery (form posts): administrators and operators.
OperatorDep = Annotated[SignedIn, csrf_checked_roles(*OPERATORS)]
#: Evidence requests: auditors (reading them, and form posts).
AuditorDep = Annotated[SignedIn, require_roles(*EVIDENCE_ROLES)]
AuditorFormDep = Annotated[SignedIn, csrf_checked_roles(*EVIDENCE_ROLES)]
#: Messages on one page of the search; «Далее» shows the older ones.
PAGE_ROWS = 50
#: Highest page number accepted (10 000 pages of PAGE_ROWS: past any real search).
MAX_PAGE = 10_000
#: Longest reason and filter text accepted, in characters.
MAX_REASON_CHARS = 500
MAX_FILTER_CHARS = 100
ReasonField = Annotated[str, Form(max_length=MAX_REASON_CHARS)]

#: What each refusal says on the page.
REFUSAL_MESSAGES: Final[dict[str, str]] = {
    "ops.reason_required": "Укажите причину: она записывается в журнал действий.",
    "ops.unknown_partner": "Такой организации-партнёра нет.",
    "ops.unknown_delivery": "Такой доставки нет.",
    "ops.already_paused": "Доставка этому партнёру уже приостановлена.",
    "ops.not_paused": "Доставка этому партнёру не приостановлена.",
    "ops.already_final": "Доставка уже завершена (доставлена или отменена); отменять нечего.",
    "ops.not_dead": "Повторить можно только недоставленное сообщение; эта доставка не в этом "
    "состоянии, ничего не изменено.",
    "ops.unknown_batch": "Такого массового повтора нет.",
    "evidence.unknown_request": "Такого запроса на выгрузку нет.",
    "evidence.self_approval": "Свой запрос утвердить нельзя: его утверждает другой аудитор.",
    "evidence.not_pending": "Запрос уже утверждён или использован.",
    "evidence.not_approved": "Запрос ещё не утверждён другим аудитором.",
    "evidence.not_requester": "Скачать пакет может только аудитор, сделавший запрос.",
    "evidence.expired": "Срок утверждения истёк; запросите выгрузку заново.",
    "evidence.already_downloaded": "Пакет по этому запросу уже скачан.",
    "ops.batch_finished": "Массовый повтор уже завершён или остановлен.",
}
#: Notices after a successful operation (``?done=…``); ``{count}`` is filled in.
DONE_MESSAGES: Final[dict[str, str]] = {
    "paused": "Доставка партнёру приостановлена. Сообщения ждут в очереди.",
    "resumed": "Доставка партнёру возобновлена: ожидавшие сообщения будут отправлены.",
    "cancelled": "Доставка отменена.",
    "replayed": "Поставлено на повторную отправку: {count}. Отправка — в течение нескольких "
    "секунд.",
    "acked": "Оповещение принято в работу.",
    "requested": "Запрос на выгрузку создан; пакет можно скачать после утверждения другим "
    "аудитором.",
    "approved": "Запрос утверждён; запросивший может скачать пакет.",
    "stopped": "Массовый повтор остановлен: оставшиеся сообщения остаются недоставленными.",
}
EVIDENCE_LABELS: Final[dict[str, str]] = {
    "requested": "ждёт утверждения",
    "approved": "утверждён",
    "downloaded": "скачан",
}
BATCH_LABELS: Final[dict[str, str]] = {
    "running": "идёт",
    "stopped": "остановлен",
    "done": "завершён",
}
#: Incidents the dashboard's «Оповещения» panel lists: open ones and the latest resolved.
ALERTS_ON_DASHBOARD = 20
CIRCUIT_LABELS: Final[dict[str, str]] = {
    "closed": "замкнут (норма)",
    "open": "разомкнут",
    "half_open": "пробная попытка",
}
_STATUS_OF_REFUSAL = {
    "ops.unknown_partner": 404,
    "ops.unknown_delivery": 404,
    "ops.unknown_batch": 404,
    "evidence.unknown_request": 404,
    "evidence.self_approval": 403,
    "evidence.not_requester": 403,
    "evidence.expired": 410,
    "ops.reason_required": 422,
}
_SAFE_BACK = re.compile(r"/admin(/[A-Za-z0-9_./-]*)?(\?[A-Za-z0-9_=&%.:+-]*)?")


# --- Shared pieces -------------------------------------------------------------------------


def trust_material(request: Request) -> TrustMaterial:
    """The PKI's CA and CRL, loaded once per app and again when either file changes."""
    settings = runtime_of(request).settings
    pki_dir = settings.pki_dir
    version = TrustMaterial.files_version(pki_dir)
    cached = getattr(request.app.state, "admin_trust", None)
    if cached is not None and cached[0] == version:
        material: TrustMaterial = cached[1]
        return material
    material = TrustMaterial.from_settings(settings)
    request.app.state.admin_trust = (version, material)
    return material


def _audit(
    session: Session,
    request: Request,
    signed_in: SignedIn,
    action: str,
    detail: str,
    *,
    case_ref: str | None = None,
    reason: str | None = None,
) -> None:
    runtime = runtime_of(request)
    record_audit(
        session,
        viewer=signed_in.viewer,
        login=signed_in.viewer.login,
        action=action,
        case_ref=case_ref,
        detail=f"channel=web {detail}".strip(),
        reason=reason,
        client=client_of(request),
        now=runtime.clock(),
    )


def _actor(signed_in: SignedIn) -> Actor:
    return Actor(login=signed_in.viewer.login, role=signed_in.viewer.role.value)


def _back(back: str, done: str, **extra: int) -> str:
    """``back`` (a local /admin address, else /admin) with the notice in the query."""
    target = back if _SAFE_BACK.fullmatch(back) else "/admin"
    path, _, query = target.partition("?")
    kept = [p for p in query.split("&") if p and not p.startswith(("done=", "count="))]
    kept.append(urlencode({"done": done, **extra}))
    return f"{path}?{'&'.join(kept)}"


def _notice(done: str, count: int) -> str | None:
    text = DONE_MESSAGES.get(done)
    return text.format(count=count) if text is not None else None


def _refused(
    request: Request, templates: Jinja2Templates, signed_in: SignedIn, exc: OperationRefused
) -> Response:
    message = REFUSAL_MESSAGES.get(exc.code, "Операция не выполнена.")
    return templates.TemplateResponse(
        request,
        "error.html",
        {
            "signed_in": signed_in,
            "title": "Операция не выполнена",
            "message": f"{message} (код {exc.code})",
        },
        status_code=_STATUS_OF_REFUSAL.get(exc.code, 409),
    )


def _bad_request(
    request: Request, templates: Jinja2Templates, signed_in: SignedIn, message: str
) -> Response:
    return templates.TemplateResponse(
        request,
        "error.html",
        {"signed_in": signed_in, "title": "Неверный запрос", "message": message},
        status_code=422,
    )


def _operate(
    request: Request,
    templates: Jinja2Templates,
    signed_in: SignedIn,
    operation: Callable[[Session, datetime], int],
    *,
    back: str,
    done: str,
) -> Response:
    """Run ``operation(session, now)`` in one transaction; redirect with the notice, or
    show the refusal (nothing was written: operations check before they change)."""
    runtime = runtime_of(request)
    try:
        with runtime.session_factory.begin() as session:
            count = operation(session, runtime.clock())
    except OperationRefused as exc:
        return _refused(request, templates, signed_in, exc)
    return RedirectResponse(_back(back, done, count=count), status_code=303)


def _read_overview(runtime: HubRuntime, session: Session) -> Overview:
    return read_overview(
        session,
        now=runtime.clock(),
        broker=runtime.broker,
        worker_within_s=runtime.settings.worker_stale_s,
    )


# --- Dashboard -----------------------------------------------------------------------------


@router.get("")
def dashboard(
    request: Request,
    signed_in: AdminDep,
    templates: TemplatesDep,
    done: str = "",
    count: int = 0,
) -> Response:
    """Flow per partner and type, deliveries by state, queues, latency, rejections, partners."""
    runtime = runtime_of(request)
    with runtime.session_factory.begin() as session:
        overview = _read_overview(runtime, session)
        alerts = list_incidents(session, include_resolved=True, limit=ALERTS_ON_DASHBOARD)
        batches = list(list_replay_batches(session, limit=10))
        _audit(session, request, signed_in, "admin.view", "page=dashboard")
    hours = [h.strftime("%H") for h in overview.hours]

    def chart(
        series: Sequence[FlowSeries], chart_id: str, title: str, names: Mapping[str, str]
    ) -> Markup:
        bars = [Series(labels.label(names, s.key), s.counts) for s in series]
        return hourly_chart(hours, bars, chart_id=chart_id, title=title)

    return templates.TemplateResponse(
        request,
        "admin.html",
        {
            "signed_in": signed_in,
            "overview": overview,
            "alerts": alerts,
            "batches": batches,
            "batch_labels": BATCH_LABELS,
            "notice": _notice(done, count),
            "states": DELIVERY_STATES,
            "state_labels": labels.DELIVERY_STATUS_LABELS,
            "circuit_labels": CIRCUIT_LABELS,
            "agency": lambda code: labels.label(labels.AGENCY_LABELS, code),
            "seconds": _seconds,
            "type_chart": chart(
                overview.flow_by_type,
                "chart-flow-type",
                "Принято сообщений по типам, по часам",
                labels.MESSAGE_TYPE_LABELS,
            ),
            "sender_chart": chart(
                overview.flow_by_sender,
                "chart-flow-sender",
                "Принято сообщений по отправителям, по часам",
                labels.AGENCY_LABELS,
            ),
            "recipient_chart": chart(
                overview.flow_by_recipient,
                "chart-flow-recipient",
                "Доставок по получателям, по часам",
                labels.AGENCY_LABELS,
            ),
        },
    )


@router.post("/alerts/{incident_id}/ack")
def acknowledge_alert(
    incident_id: int, request: Request, signed_in: OperatorDep, templates: TemplatesDep
) -> Response:
    """Take an alert: the incident records who and when (audited as ``alert.ack``)."""
    runtime = runtime_of(request)
    try:
        with runtime.session_factory.begin() as session:
            acknowledge_incident(
                session, incident_id, by=signed_in.viewer.login, now=runtime.clock()
            )
            _audit(session, request, signed_in, "alert.ack", f"incident={incident_id}")
    except IncidentNotFound:
        return _bad_request(request, templates, signed_in, "Такого оповещения нет.")
    return RedirectResponse(_back("/admin", "acked", count=1), status_code=303)


@router.get("/overview.json")
def overview_json(request: Request, signed_in: AdminDep) -> Response:
    """The dashboard's numbers for its live refresh (not audited: no personal data)."""
    runtime = runtime_of(request)
    with runtime.session_factory() as session:
        overview = _read_overview(runtime, session)
    return JSONResponse(overview.to_json(), headers={"Cache-Control": "no-store"})


def _seconds(value_ms: float | None) -> str:
    """``1,23 с`` from milliseconds; ``—`` for None."""
    if value_ms is None:
        return "—"
    return f"{value_ms / 1000:.2f} с".replace(".", ",")


# --- Message trace -------------------------------------------------------------------------


def _parse_time(value: str, *, end_of_day: bool = False) -> datetime | None:
    """A date (``2026-11-24``) or local-less time (``2026-11-24T10:00``), taken as UTC.

    Raises:
        ValueError: neither.
    """
    text = value.strip()
    if not text:
        return None
    if len(text) == 10:
        day = date.fromisoformat(text)
        moment = datetime.combine(day, time.max if end_of_day else time.min)
    else:
        moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _filters(
    ref: str, case_ref: str, partner: str, message_type: str, since: str, until: str, status: str
) -> TraceFilters:
    """The search form's fields as filters.

    Raises:
        ValueError: a time or a state that cannot be read.
    """
    return TraceFilters(
        ref=ref.strip() or None,
        case_ref=case_ref.strip() or None,
        partner=partner.strip() or None,
        message_type=message_type.strip() or None,
        since=_parse_time(since),
        until=_parse_time(until, end_of_day=True),
        status=DeliveryStatus(status) if status else None,
    )


FilterQuery = Annotated[str, Query(max_length=MAX_FILTER_CHARS)]


@router.get("/messages")
def messages_page(
    request: Request,
    signed_in: AdminDep,
    templates: TemplatesDep,
    ref: FilterQuery = "",
    case_ref: FilterQuery = "",
    partner: FilterQuery = "",
    message_type: Annotated[str, Query(alias="type", max_length=MAX_FILTER_CHARS)] = "",
    since: FilterQuery = "",
    until: FilterQuery = "",
    status: FilterQuery = "",
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    done: str = "",
    count: int = 0,
) -> Response:
    """Search messages by id, case, partner, type, time and delivery state, a page at a time."""
    try:
        filters = _filters(ref, case_ref, partner, message_type, since, until, status)
    except ValueError:
        return _bad_request(
            request, templates, signed_in, "Неверная дата или состояние доставки в фильтре."
        )
    runtime = runtime_of(request)
    first = (page - 1) * PAGE_ROWS
    with runtime.session_factory.begin() as session:
        # One row past the page tells whether there is a next one.
        rows = search_messages(session, filters, limit=PAGE_ROWS + 1, offset=first)
        _audit(
            session,
            request,
            signed_in,
            "admin.view",
            " ".join(part for part in ("page=messages", filters.audit_detail()) if part)
            + (f" page_no={page}" if page > 1 else ""),
        )
    has_next = len(rows) > PAGE_ROWS
    rows = rows[:PAGE_ROWS]
    form = {
        "ref": ref,
        "case_ref": case_ref,
        "partner": partner,
        "type": message_type,
        "since": since,
        "until": until,
        "status": status,
    }
    return templates.TemplateResponse(
        request,
        "admin_messages.html",
        {
            "signed_in": signed_in,
            "rows": rows,
            "form": form,
            "notice": _notice(done, count),
            "back": str(request.url.path) + ("?" + request.url.query if request.url.query else ""),
            "states": DELIVERY_STATES,
            "state_labels": labels.DELIVERY_STATUS_LABELS,
            "types": sorted(labels.MESSAGE_TYPE_LABELS),
            "type_labels": labels.MESSAGE_TYPE_LABELS,
            "agency": lambda code: labels.label(labels.AGENCY_LABELS, code),
            "dead_filter": status == DeliveryStatus.DEAD.value,
            "page": page,
            "first_row": first + 1,
            "prev_url": _page_url(request, page - 1) if page > 1 else None,
            "next_url": _page_url(request, page + 1) if has_next else None,
        },
    )


def _page_url(request: Request, page: int) -> str:
    """This search's address at ``page``, without the notice of an earlier operation."""
    url = request.url.remove_query_params(["page", "done", "count"])
    query = url.include_query_params(page=page).query
    return f"{url.path}?{query}"


def _not_found(request: Request, templates: Jinja2Templates, signed_in: SignedIn) -> Response:
    return templates.TemplateResponse(
        request,
        "error.html",
        {
            "signed_in": signed_in,
            "title": "Сообщение не найдено",
            "message": "Сообщения с таким номером в журнале узла нет.",
        },
        status_code=404,
    )


@router.get("/messages/{hub_id}")
def message_page(
    hub_id: int,
    request: Request,
    signed_in: AdminDep,
    templates: TemplatesDep,
    done: str = "",
    count: int = 0,
) -> Response:
    """One message: header, deliveries and attempts, verification, chain link, masked XML."""
    runtime = runtime_of(request)
    trust = trust_material(request)
    try:
        with runtime.session_factory.begin() as session:
            detail: MessageDetail = get_message_detail(
                session,
                str(hub_id),
                trust=trust,
                now=runtime.clock(),
                shelf=runtime.archive_shelf,
            )
            _audit(
                session,
                request,
                signed_in,
                "message.view",
                f"hub_id={hub_id} message_id={detail.message_id}",
                case_ref=detail.case_ref,
            )
    except NotFound:
        return _not_found(request, templates, signed_in)
    return templates.TemplateResponse(
        request,
        "admin_message.html",
        {
            "signed_in": signed_in,
            "m": detail,
            "notice": _notice(done, count),
            "back": f"/admin/messages/{hub_id}",
            "state_labels": labels.DELIVERY_STATUS_LABELS,
            "type_labels": labels.MESSAGE_TYPE_LABELS,
            "agency": lambda code: labels.label(labels.AGENCY_LABELS, code),
        },
    )


# --- Evidence: four eyes --------------------------------------------------------------------


@router.post("/messages/{hub_id}/evidence-requests")
def evidence_request(
    hub_id: int,
    request: Request,
    signed_in: AuditorFormDep,
    templates: TemplatesDep,
    reason: ReasonField = "",
) -> Response:
    """Ask for the message's evidence zip (the unmasked original); another auditor approves."""
    runtime = runtime_of(request)
    try:
        with runtime.session_factory.begin() as session:
            request_evidence(
                session, str(hub_id), actor=_actor(signed_in), reason=reason, now=runtime.clock()
            )
    except OperationRefused as exc:
        return _refused(request, templates, signed_in, exc)
    except NotFound:
        return _not_found(request, templates, signed_in)
    return RedirectResponse("/admin/evidence?done=requested", status_code=303)


@router.get("/evidence")
def evidence_page(
    request: Request, signed_in: AuditorDep, templates: TemplatesDep, done: str = ""
) -> Response:
    """The evidence requests: approve another's, download one's own once approved."""
    runtime = runtime_of(request)
    with runtime.session_factory.begin() as session:
        requests = list(list_evidence_requests(session))
        _audit(session, request, signed_in, "admin.view", "page=evidence")
    return templates.TemplateResponse(
        request,
        "admin_evidence.html",
        {
            "signed_in": signed_in,
            "requests": requests,
            "notice": _notice(done, 0),
            "status_labels": EVIDENCE_LABELS,
        },
    )


@router.post("/evidence/{request_id}/approve")
def evidence_approve(
    request_id: int, request: Request, signed_in: AuditorFormDep, templates: TemplatesDep
) -> Response:
    """Approve another auditor's request (never one's own)."""
    runtime = runtime_of(request)
    try:
        with runtime.session_factory.begin() as session:
            approve_evidence(
                session,
                request_id,
                actor=_actor(signed_in),
                now=runtime.clock(),
                ttl_s=runtime.settings.evidence_approval_ttl_s,
            )
    except OperationRefused as exc:
        return _refused(request, templates, signed_in, exc)
    return RedirectResponse("/admin/evidence?done=approved", status_code=303)


@router.post("/evidence/{request_id}/download")
def evidence_download(
    request_id: int, request: Request, signed_in: AuditorFormDep, templates: TemplatesDep
) -> Response:
    """The approved package, once, to its requester; audited naming both auditors."""
    runtime = runtime_of(request)
    trust = trust_material(request)
    try:
        with runtime.session_factory.begin() as session:
            row, data = download_evidence(
                session,
                trust,
                request_id,
                actor=_actor(signed_in),
                now=runtime.clock(),
                channel="web",
                shelf=runtime.archive_shelf,
            )
            hub_id = row.message_log_id
    except OperationRefused as exc:
        return _refused(request, templates, signed_in, exc)
    except BodyArchived as exc:
        return templates.TemplateResponse(
            request,
            "error.html",
            {
                "signed_in": signed_in,
                "title": "Пакет не выгружен",
                "message": f"Тело недоступно: {exc.reason}.",
            },
            status_code=409,
        )
    return evidence_zip_response(data, hub_id)


# --- Operations ----------------------------------------------------------------------------


@router.post("/deliveries/{delivery_id}/replay")
def replay_one(
    delivery_id: int,
    request: Request,
    signed_in: OperatorDep,
    templates: TemplatesDep,
    reason: ReasonField = "",
    back: Annotated[str, Form()] = "/admin",
) -> Response:
    """Send one dead delivery again."""

    def replay(session: Session, now: datetime) -> int:
        ids = replay_dead_letters(
            session, actor=_actor(signed_in), reason=reason, now=now, ids=[delivery_id]
        )
        return len(ids)

    return _operate(request, templates, signed_in, replay, back=back, done="replayed")


@router.post("/deliveries/replay")
def replay_many(
    request: Request,
    signed_in: OperatorDep,
    templates: TemplatesDep,
    reason: ReasonField = "",
    partner: Annotated[str, Form(max_length=MAX_FILTER_CHARS)] = "",
    message_type: Annotated[str, Form(alias="type", max_length=MAX_FILTER_CHARS)] = "",
    since: Annotated[str, Form(max_length=MAX_FILTER_CHARS)] = "",
    back: Annotated[str, Form()] = "/admin",
) -> Response:
    """Send again every dead delivery matching the filters (all dead ones without any)."""
    try:
        start = _parse_time(since)
    except ValueError:
        return _bad_request(request, templates, signed_in, "Неверная дата «с».")

    runtime = runtime_of(request)
    actor = _actor(signed_in)
    try:
        with runtime.session_factory.begin() as session:
            batch_id = start_replay_batch(
                session,
                actor=actor,
                reason=reason,
                now=runtime.clock(),
                partner=partner.strip() or None,
                message_type=message_type.strip() or None,
                since=start,
            ).id
    except OperationRefused as exc:
        return _refused(request, templates, signed_in, exc)
    # Chunk by chunk, each committed: a stop from another page or `hub dlq stop` holds.
    replayed = run_replay_batch(runtime.session_factory, batch_id, actor=actor, clock=runtime.clock)
    return RedirectResponse(_back(back, "replayed", count=len(replayed)), status_code=303)


@router.get("/deliveries/replay-preview")
def replay_preview(
    request: Request,
    signed_in: AdminDep,
    templates: TemplatesDep,
    partner: FilterQuery = "",
    message_type: Annotated[str, Query(alias="type", max_length=MAX_FILTER_CHARS)] = "",
    since: FilterQuery = "",
) -> Response:
    """The dry run of a bulk replay: which deliveries it would send, and nothing sent."""
    try:
        start = _parse_time(since)
    except ValueError:
        return _bad_request(request, templates, signed_in, "Неверная дата «с».")
    runtime = runtime_of(request)
    filters = {"partner": partner.strip(), "type": message_type.strip(), "since": since.strip()}
    try:
        with runtime.session_factory.begin() as session:
            candidates = preview_replay(
                session,
                partner=filters["partner"] or None,
                message_type=filters["type"] or None,
                since=start,
            )
            detail = " ".join(f"{k}={v}" for k, v in filters.items() if v)
            _audit(session, request, signed_in, "admin.view", f"page=replay-preview {detail}")
    except OperationRefused as exc:
        return _refused(request, templates, signed_in, exc)
    return templates.TemplateResponse(
        request,
        "admin_replay_preview.html",
        {
            "signed_in": signed_in,
            "candidates": candidates,
            "form": filters,
            "type_labels": labels.MESSAGE_TYPE_LABELS,
            "agency": lambda code: labels.label(labels.AGENCY_LABELS, code),
        },
    )


@router.post("/replays/{batch_id}/stop")
def stop_replay(
    batch_id: int,
    request: Request,
    signed_in: OperatorDep,
    templates: TemplatesDep,
    reason: ReasonField = "",
    back: Annotated[str, Form()] = "/admin",
) -> Response:
    """Stop a running bulk replay: what is not yet re-queued stays dead."""

    def stop(session: Session, now: datetime) -> int:
        stop_replay_batch(session, batch_id, actor=_actor(signed_in), reason=reason, now=now)
        return 1

    return _operate(request, templates, signed_in, stop, back=back, done="stopped")


@router.post("/deliveries/{delivery_id}/cancel")
def cancel_one(
    delivery_id: int,
    request: Request,
    signed_in: OperatorDep,
    templates: TemplatesDep,
    reason: ReasonField = "",
    back: Annotated[str, Form()] = "/admin",
) -> Response:
    """Give up on one delivery for good."""

    def cancel(session: Session, now: datetime) -> int:
        cancel_delivery(session, delivery_id, actor=_actor(signed_in), reason=reason, now=now)
        return 1

    return _operate(request, templates, signed_in, cancel, back=back, done="cancelled")


@router.post("/partners/{code}/pause")
def pause(
    code: str,
    request: Request,
    signed_in: OperatorDep,
    templates: TemplatesDep,
    reason: ReasonField = "",
    back: Annotated[str, Form()] = "/admin",
) -> Response:
    """Stop deliveries to a partner; they wait in the outbox."""

    def operation(session: Session, now: datetime) -> int:
        pause_partner(session, code, actor=_actor(signed_in), reason=reason, now=now)
        return 1

    return _operate(request, templates, signed_in, operation, back=back, done="paused")


@router.post("/partners/{code}/resume")
def resume(
    code: str,
    request: Request,
    signed_in: OperatorDep,
    templates: TemplatesDep,
    reason: ReasonField = "",
    back: Annotated[str, Form()] = "/admin",
) -> Response:
    """Let deliveries to a partner flow again."""

    def operation(session: Session, now: datetime) -> int:
        resume_partner(session, code, actor=_actor(signed_in), reason=reason, now=now)
        return 1

    return _operate(request, templates, signed_in, operation, back=back, done="resumed")
