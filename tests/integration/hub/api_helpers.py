"""Helpers for the HTTP API tests: post a message as a partner, and read a problem+json answer."""

import httpx


def post_message(http: httpx.Client, body: bytes, api_key: str | None) -> httpx.Response:
    """POST ``body`` to the hub's messages endpoint with ``api_key`` as the Bearer token."""
    headers = {"Content-Type": "application/xml"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    return http.post("/api/v1/messages", content=body, headers=headers)


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    """Assert a problem+json answer of ``status`` and ``code``; return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code
    assert body["status"] == status
    assert body["type"].endswith(code)
    return body
