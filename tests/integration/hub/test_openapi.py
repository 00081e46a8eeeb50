"""The published /openapi.json tells a client everything it needs without guessing:
the key and session schemes, problem+json with each route's codes, the inbox encoding
and lease, the whole code catalogue. Fetched from a real server."""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from hub.api.openapi import ROUTE_CODES
from hub.errors import CODES, REJECTION_CODES, Stage
from tests.stack import RunningHub

PARTNER_SECURITY: list[dict[str, list[str]]] = [{"PartnerApiKey": []}, {"PartnerApiKeyHeader": []}]
PERSON_SECURITY: list[dict[str, list[str]]] = [{"PersonSession": []}, {"PersonSessionCookie": []}]


@pytest.fixture
def http(hub_api: RunningHub) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=hub_api.url, timeout=10) as client:
        yield client


@pytest.fixture
def spec(http: httpx.Client) -> dict[str, Any]:
    response = http.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            yield method, path, operation


def test_the_schemes_are_declared_with_how_keys_are_issued(spec: dict[str, Any]) -> None:
    schemes = spec["components"]["securitySchemes"]

    assert schemes["PartnerApiKey"] | {"description": ""} == {
        "type": "http",
        "scheme": "bearer",
        "description": "",
    }
    assert "rotate-key" in schemes["PartnerApiKey"]["description"]
    assert (schemes["PartnerApiKeyHeader"]["in"], schemes["PartnerApiKeyHeader"]["name"]) == (
        "header",
        "X-API-Key",
    )
    assert (schemes["PersonSession"]["type"], schemes["PersonSession"]["scheme"]) == (
        "http",
        "bearer",
    )
    assert schemes["PersonSessionCookie"]["in"] == "cookie"


def test_every_partner_and_people_route_names_its_scheme(spec: dict[str, Any]) -> None:
    security = {(method, path): op.get("security") for method, path, op in _operations(spec)}

    partner = [
        key
        for key in security
        if key[1].startswith(("/api/v1/messages", "/api/v1/inbox", "/api/v1/feed"))
    ]
    people = [
        key
        for key in security
        if key[1].startswith(("/api/v1/cases", "/api/v1/stats", "/api/v1/attention"))
    ]
    assert len(partner) == 5
    assert len(people) == 8
    assert all(security[key] == PARTNER_SECURITY for key in partner)
    assert all(security[key] == PERSON_SECURITY for key in [*people, ("delete", "/api/v1/session")])
    assert security[("post", "/api/v1/session")] is None
    assert security[("get", "/healthz")] is None


def test_each_route_lists_its_real_codes_as_problem_json(spec: dict[str, Any]) -> None:
    operations = {(method, path): op for method, path, op in _operations(spec)}
    assert operations.keys() == ROUTE_CODES.keys()
    for key, operation in operations.items():
        declared: list[str] = []
        for status, response in operation["responses"].items():
            if not status.startswith("4"):
                continue
            assert response["content"] == {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            }, key
            assert all(REJECTION_CODES[code].status == int(status) for code in response["x-codes"])
            declared.extend(response["x-codes"])
        assert sorted(declared) == sorted(ROUTE_CODES[key]), key


def test_posting_a_message_documents_every_refusal_of_ingest(spec: dict[str, Any]) -> None:
    responses = spec["paths"]["/api/v1/messages"]["post"]["responses"]
    declared = {code for response in responses.values() for code in response.get("x-codes", [])}
    ingest = {
        code
        for code, kind in REJECTION_CODES.items()
        if kind.stage not in (Stage.PEOPLE, Stage.REQUEST, Stage.OPERATIONS)
    }
    assert declared == ingest
    assert "Retry-After" in responses["429"]["headers"]
    assert "WWW-Authenticate" in responses["401"]["headers"]


def test_the_problem_schema_and_the_whole_catalogue_are_published(spec: dict[str, Any]) -> None:
    problem = spec["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail", "code"}
    assert {"instance", "hub_id", "retry_after_s", "errors"} <= problem["properties"].keys()
    assert "HTTPValidationError" not in spec["components"]["schemas"]

    catalogue = spec["x-hub-codes"]
    assert catalogue.keys() == CODES.keys()
    for code, kind in CODES.items():
        entry = catalogue[code]
        assert (entry["status"], entry["title"], entry["title_ru"]) == (
            kind.status,
            kind.title,
            kind.title_ru,
        )
        assert (entry["action"], entry["action_ru"]) == (kind.action.en, kind.action.ru)


def test_the_inbox_says_its_encoding_lease_limit_and_ack(
    hub_api: RunningHub, spec: dict[str, Any]
) -> None:
    schemas = spec["components"]["schemas"]
    envelope = schemas["InboxMessageOut"]["properties"]["envelope"]
    assert (envelope["format"], envelope["contentEncoding"]) == ("byte", "base64")
    assert "re-signed" in envelope["description"]
    poll = spec["paths"]["/api/v1/inbox"]["get"]
    lease_s = hub_api.settings.inbox_visibility_s
    assert f"leased to the caller for {lease_s} s" in poll["description"]
    (limit,) = poll["parameters"]
    assert (limit["schema"]["minimum"], limit["schema"]["maximum"]) == (1, 100)
    assert schemas["AckOut"]["properties"]["status"]["enum"] == ["delivered"]
    assert "request.not_found" in schemas["AckOut"]["description"]


def test_declaring_the_schemes_changed_no_answer(hub_api: RunningHub, http: httpx.Client) -> None:
    # FastAPI's own schemes would answer 403 {"detail": …}; ours still answer the hub's codes.
    missing = http.get("/api/v1/inbox")
    wrong_scheme = http.get("/api/v1/inbox", headers={"Authorization": "Basic eDp5"})
    no_session = http.get("/api/v1/cases")
    by_header = http.get("/api/v1/inbox", headers={"X-API-Key": hub_api.api_keys["police"]})

    for response in (missing, wrong_scheme):
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "auth.missing_credentials"
    assert no_session.status_code == 401
    assert no_session.json()["code"] == "auth.session_required"
    assert by_header.status_code == 200
