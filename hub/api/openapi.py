"""The published OpenAPI, told precisely: problem+json, each route's codes, the live limits.

FastAPI builds the paths, models and security schemes from the routes; ``install_openapi``
(called by ``create_app``) adds what it cannot know: the ``Problem`` schema every refusal
uses, per route the refusal codes it can answer (grouped by HTTP status, with media type
``application/problem+json`` and an ``x-codes`` list), the whole code catalogue as
``x-hub-codes`` (the same registry ``docs/partners/codes.md`` is made from), and the
running hub's limits (size, lease, freshness, rate) in the descriptions.
"""

import json
from collections.abc import Callable, Iterable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field

from hub.api.problems import PROBLEM_JSON, PROBLEM_TYPE_BASE
from hub.config import Settings
from hub.errors import CODES, REJECTION_CODES, Stage

OpenApi = dict[str, Any]


class ProblemError(BaseModel):
    """One reason a request was invalid (``request.invalid``)."""

    loc: list[str] = Field(description="Where: `query`, `path`, `body`, then the field")
    msg: str


class Problem(BaseModel):
    """An RFC 9457 problem document: every refusal the hub answers."""

    type: str = Field(description=f"`{PROBLEM_TYPE_BASE}<code>`")
    title: str = Field(description="The code's title in English (`x-hub-codes`)")
    status: int = Field(description="The HTTP status, repeated")
    detail: str = Field(
        description="Machine-made: ids, XPaths, schema reasons; never personal data"
    )
    code: str = Field(
        description="The stable machine code `<stage>.<reason>`; see `x-hub-codes` and "
        "docs/partners/codes.md for what to do"
    )
    instance: str | None = Field(
        default=None, description="RFC 9457's member; this hub does not send it"
    )
    hub_id: int | None = Field(
        default=None, description="`replay.duplicate` only: the hub id of the accepted copy"
    )
    retry_after_s: int | None = Field(
        default=None,
        description="`auth.rate_limited`, `auth.login_throttled`: seconds to wait, also sent "
        "as `Retry-After`",
    )
    errors: list[ProblemError] | None = Field(
        default=None, description="`request.invalid` only: each invalid part of the request"
    )


def _codes_of(*stages: Stage) -> tuple[str, ...]:
    return tuple(code for code, kind in REJECTION_CODES.items() if kind.stage in stages)


_PARTNER_KEY = ("auth.missing_credentials", "auth.invalid_credentials", "auth.partner_inactive")
_PERSON = ("auth.session_required",)
_ROLE = ("auth.role_forbidden",)
_INVALID = ("request.invalid",)
_NOT_FOUND = ("request.not_found",)
#: Everything ingest can refuse: the partner's key and rate, then the pipeline's stages.
_INGEST = (
    *_codes_of(Stage.AUTHENTICATION),
    *_codes_of(
        Stage.XML,
        Stage.ENVELOPE,
        Stage.SIGNATURE,
        Stage.PAYLOAD,
        Stage.REFERRAL,
        Stage.REPLAY,
        Stage.AUTHORISATION,
        Stage.CONSENT,
        Stage.ROUTING,
    ),
)

#: (method, path) → every refusal code the route can answer. A test holds this table and
#: the app's routes to each other, so a new route has to say what it refuses.
ROUTE_CODES: dict[tuple[str, str], tuple[str, ...]] = {
    ("post", "/api/v1/messages"): _INGEST,
    ("get", "/api/v1/messages/{ref}"): (*_PARTNER_KEY, *_NOT_FOUND),
    ("get", "/api/v1/inbox"): (*_PARTNER_KEY, *_INVALID),
    ("post", "/api/v1/inbox/{delivery_id}/ack"): (*_PARTNER_KEY, *_INVALID, *_NOT_FOUND),
    ("get", "/api/v1/partners/me"): _PARTNER_KEY,
    ("get", "/contract/"): (),
    ("get", "/contract/{name}"): _NOT_FOUND,
    ("post", "/api/v1/session"): ("auth.login_refused", "auth.login_throttled", *_INVALID),
    ("delete", "/api/v1/session"): _PERSON,
    ("get", "/api/v1/cases"): (*_PERSON, *_ROLE, *_INVALID),
    ("get", "/api/v1/cases/{case_ref}"): (*_PERSON, *_ROLE, *_INVALID, *_NOT_FOUND),
    ("get", "/api/v1/cases/{case_ref}/actions.csv"): (*_PERSON, *_ROLE, *_INVALID, *_NOT_FOUND),
    ("post", "/api/v1/cases/{case_ref}/curator"): (
        *_PERSON,
        *_ROLE,
        *_INVALID,
        *_NOT_FOUND,
        "request.curator_not_assignable",
    ),
    ("get", "/api/v1/cases/{case_ref}/visits"): (*_PERSON, *_ROLE, *_INVALID, *_NOT_FOUND),
    ("post", "/api/v1/cases/{case_ref}/visits"): (*_PERSON, *_ROLE, *_INVALID, *_NOT_FOUND),
    ("get", "/api/v1/stats"): (*_PERSON, *_ROLE, *_INVALID),
    ("get", "/api/v1/attention"): _PERSON,
    ("get", "/api/v1/alerts"): (*_PERSON, *_ROLE, *_INVALID),
    ("post", "/api/v1/evidence-requests"): (
        *_PERSON,
        *_ROLE,
        *_INVALID,
        *_NOT_FOUND,
        "ops.reason_required",
    ),
    ("get", "/api/v1/evidence-requests"): (*_PERSON, *_ROLE),
    ("post", "/api/v1/evidence-requests/{request_id}/approval"): (
        *_PERSON,
        *_ROLE,
        *_INVALID,
        "evidence.unknown_request",
        "evidence.self_approval",
        "evidence.not_pending",
    ),
    ("post", "/api/v1/evidence-requests/{request_id}/package"): (
        *_PERSON,
        *_ROLE,
        *_INVALID,
        "evidence.unknown_request",
        "evidence.not_requester",
        "evidence.not_approved",
        "evidence.already_downloaded",
        "evidence.expired",
        "evidence.body_archived",
    ),
    ("get", "/api/v1/feed/attention"): (*_PARTNER_KEY, "auth.not_case_owner"),
    ("get", "/metrics"): (
        "auth.metrics_token_unset",
        "auth.missing_credentials",
        "auth.invalid_credentials",
    ),
    ("get", "/readyz"): _INVALID,
    ("get", "/healthz"): (),
}

#: Headers that come with some statuses' problems.
_STATUS_HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"description": "`Bearer`", "schema": {"type": "string"}}},
    429: {
        "Retry-After": {
            "description": "Seconds to wait before trying again",
            "schema": {"type": "integer"},
        }
    },
}


def install_openapi(app: FastAPI, settings: Settings) -> None:
    """Make ``app.openapi()`` (and ``/openapi.json``) the precise contract, built once."""

    def build() -> OpenApi:
        if app.openapi_schema is None:
            spec = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                description=_description(settings),
                routes=app.routes,
            )
            app.openapi_schema = complete_openapi(spec, settings)
        return app.openapi_schema

    openapi: Callable[[], OpenApi] = build
    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to customise


def complete_openapi(spec: OpenApi, settings: Settings) -> OpenApi:
    """Add problem+json, the routes' codes, the code catalogue and the live limits to ``spec``."""
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem.pop("$defs", {}))
    schemas["Problem"] = problem
    for (method, path), codes in ROUTE_CODES.items():
        operation = spec["paths"][path][method]
        responses = operation["responses"]
        for status in [s for s in responses if s.startswith(("4", "5")) and s != "503"]:
            del responses[status]
        responses.update(problem_responses(codes))
    # FastAPI's own 422 body is never sent (request.invalid is): drop its schemas once no
    # operation refers to them any more.
    if "#/components/schemas/HTTPValidationError" not in json.dumps(spec["paths"]):
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
    _describe_limits(spec["paths"], settings)
    spec["x-hub-codes"] = code_catalogue()
    return spec


def problem_responses(codes: Iterable[str]) -> dict[str, Any]:
    """OpenAPI responses for ``codes``: one per HTTP status, listing its codes."""
    by_status: dict[int, list[str]] = {}
    for code in codes:
        by_status.setdefault(REJECTION_CODES[code].status, []).append(code)
    responses: dict[str, Any] = {}
    for status, listed in sorted(by_status.items()):
        lines = "; ".join(f"`{code}` — {REJECTION_CODES[code].title}" for code in listed)
        response: dict[str, Any] = {
            "description": f"Refused (problem+json): {lines}",
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
            "x-codes": listed,
        }
        if status in _STATUS_HEADERS:
            response["headers"] = _STATUS_HEADERS[status]
        responses[str(status)] = response
    return responses


def code_catalogue() -> dict[str, Any]:
    """Every code of ``hub.errors.CODES`` with its status, stage, titles and what to do."""
    return {
        code: {
            "status": kind.status,
            "stage": kind.stage.en,
            "title": kind.title,
            "title_ru": kind.title_ru,
            "action": kind.action.en,
            "action_ru": kind.action.ru,
            "resend_can_succeed": kind.resend_can_succeed,
        }
        for code, kind in CODES.items()
    }


def _description(settings: Settings) -> str:
    return (
        "Partner systems post signed canonical XML envelopes and pull what is addressed "
        "to them; people read their cases. Every refusal is `application/problem+json` "
        "(schema `Problem`) with a stable `code`; each operation lists the codes it can "
        "answer (`x-codes`), and `x-hub-codes` at the root holds the whole catalogue — "
        "status, stage, titles in English and Russian, what to do, and whether the same "
        "bytes can succeed later (docs/partners/codes.md is generated from the same "
        "registry).\n\n"
        f"Limits of this hub: a message at most {settings.max_message_bytes} bytes "
        "(a larger `Content-Length` is refused before the body is read); `CreatedAt` at "
        f"most {settings.max_message_age_s} s old and {settings.max_future_skew_s} s ahead; "
        f"{_rate(settings)}; an inbox item stays leased {settings.inbox_visibility_s} s."
    )


def _rate(settings: Settings) -> str:
    rate = settings.partner_rate_per_s
    return f"{rate} messages a second per partner" if rate else "no per-partner rate limit"


def _describe_limits(paths: OpenApi, settings: Settings) -> None:
    """Say the running hub's limits where a client needs them."""
    poll = paths["/api/v1/inbox"]["get"]
    poll["description"] = (
        f"{poll.get('description', '')}\n\nEach item returned is leased to the caller for "
        f"{settings.inbox_visibility_s} s (`HUB_INBOX_VISIBILITY_S`): a poll in that time "
        "does not return it again; unacknowledged, it comes back in a later poll (urgent "
        "first, then oldest first). Acknowledge each with "
        "`POST /api/v1/inbox/{delivery_id}/ack` once it is stored on your side."
    )
    post = paths["/api/v1/messages"]["post"]
    post["description"] = (
        f"{post.get('description', '')}\n\nAt most {settings.max_message_bytes} bytes "
        "(`HUB_MAX_MESSAGE_BYTES`): a larger declared `Content-Length` is answered 413 "
        "`xml.too_large` before the body is read; a chunked body is read up to the limit, "
        "then answered 413 and the connection closed."
    )
