"""``GET /contract/``: the published contract, public, no key — the same files as
``hub contract export`` (hub.contract), each with its media type, and an index page."""

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from hub.access import RuntimeDep
from hub.contract import ContractFile, example_files, fixed_files
from hub.errors import NotFound

router = APIRouter(prefix="/contract", tags=["contract"])


def _files(request: Request, runtime: RuntimeDep) -> list[ContractFile]:
    """The contract, its fixed files built on the first request: a partner's kit fetches
    every file in turn, several kits at once, and each request rebuilt them all."""
    state = request.app.state
    if not hasattr(state, "contract_files"):
        state.contract_files = fixed_files(runtime.settings, request.app.openapi())
    fixed: list[ContractFile] = state.contract_files
    return [*fixed, *example_files()]


@router.get("/", response_class=HTMLResponse)
def index(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    """A page listing the contract's files, each a link."""
    items = "\n".join(
        f'<li><a href="{escape(f.name)}">{escape(f.name)}</a> '
        f"<small>{escape(f.media_type)}, {len(f.content)} байт</small></li>"
        for f in _files(request, runtime)
    )
    return HTMLResponse(
        '<!doctype html>\n<html lang="ru"><head><meta charset="utf-8">'
        "<title>Контракт узла обмена</title></head><body>"
        "<h1>Контракт узла обмена</h1>"
        "<p>Всё, по чему строится подключение: OpenAPI, XSD, WSDL КДН, примеры, "
        "профиль подписи, ограничения. Начните с README.md.</p>"
        f"<ul>\n{items}\n</ul></body></html>\n"
    )


@router.get("/{name:path}")
def contract_file(name: str, request: Request, runtime: RuntimeDep) -> Response:
    """One file of the contract (examples carry a fresh MessageId and CreatedAt)."""
    for file in _files(request, runtime):
        if file.name == name:
            return Response(file.content, media_type=file.media_type)
    raise NotFound("contract file", name)
