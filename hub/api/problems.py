"""The one place errors become HTTP answers: RFC 9457 problem+json with a stable ``code``."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from hub.errors import REJECTION_CODES, BodyArchived, NotFound, Rejection

PROBLEM_JSON = "application/problem+json"
#: Where partner engineers read about each code.
PROBLEM_TYPE_BASE = "urn:family-hub:problem:"


def problem(status: int, code: str, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def rejection_response(rejection: Rejection) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if rejection.status == 401 else None
    response = problem(
        rejection.status, rejection.code, rejection.title, rejection.detail, **rejection.extra
    )
    if headers:
        response.headers.update(headers)
    if "retry_after_s" in rejection.extra:
        response.headers["Retry-After"] = str(rejection.extra["retry_after_s"])
    return response


def _coded_problem(code: str, detail: str, **extra: Any) -> JSONResponse:
    kind = REJECTION_CODES[code]
    return problem(kind.status, code, kind.title, detail, **extra)


def install_problem_handlers(app: FastAPI) -> None:
    """Map every hub error to problem+json; routes never build error bodies themselves."""

    async def on_rejection(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Rejection)
        return rejection_response(exc)

    async def on_not_found(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, NotFound)
        return _coded_problem("request.not_found", str(exc))

    async def on_body_archived(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, BodyArchived)
        return _coded_problem("evidence.body_archived", exc.reason, hub_id=exc.hub_id)

    async def on_invalid_request(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [
            {"loc": [str(part) for part in error["loc"]], "msg": error["msg"]}
            for error in exc.errors()
        ]
        return _coded_problem("request.invalid", "see errors", errors=errors)

    app.add_exception_handler(Rejection, on_rejection)
    app.add_exception_handler(NotFound, on_not_found)
    app.add_exception_handler(BodyArchived, on_body_archived)
    app.add_exception_handler(RequestValidationError, on_invalid_request)
