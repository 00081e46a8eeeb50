"""``hub.api.plain.PlainRoute``: documented by FastAPI from its declaration, served by its
endpoint alone, with the application's error handlers still in force (over a real server
on loopback)."""

from typing import Any

import httpx
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from pydantic import BaseModel

from adapters.simulation import SimulatorServer
from hub.api.plain import PlainRoute
from hub.api.problems import install_problem_handlers
from hub.errors import Rejection


class Answer(BaseModel):
    value: int


def _refuse_always() -> None:
    raise AssertionError("a plain route's dependencies are published, never run")


async def post_answer(request: Request) -> Response:
    """Answer with the body's length; refuse an empty body."""
    body = await request.body()
    if not body:
        raise Rejection("auth.missing_credentials")
    return Response(Answer(value=len(body)).model_dump_json(), status_code=202)


def _app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    router = APIRouter(prefix="/answers", dependencies=[Depends(_refuse_always)])
    router.add_api_route(
        "",
        post_answer,
        methods=["POST"],
        status_code=202,
        response_model=Answer,
        route_class_override=PlainRoute,
    )
    app.include_router(router)
    return app


def test_the_endpoint_alone_answers_and_a_rejection_becomes_problem_json() -> None:
    with SimulatorServer(_app()) as server, httpx.Client(base_url=server.url) as client:
        accepted = client.post("/answers", content=b"abc")
        refused = client.post("/answers", content=b"")

    assert (accepted.status_code, accepted.content) == (202, b'{"value":3}')
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "auth.missing_credentials"


def test_the_openapi_documents_the_declaration() -> None:
    operation: dict[str, Any] = _app().openapi()["paths"]["/answers"]["post"]

    assert operation["operationId"] == "post_answer_answers_post"
    assert operation["description"] == "Answer with the body's length; refuse an empty body."
    schema = operation["responses"]["202"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/Answer"}
