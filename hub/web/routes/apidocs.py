"""The API's documentation pages, Swagger UI (``/docs``) and ReDoc (``/redoc``), offline.

Closed government networks reach no CDN, so both load their files from the hub:
Swagger UI's and ReDoc's bundles from the pinned ``fastapi-offline`` package (mounted at
``VENDOR_URL`` by ``create_app``), the script that starts Swagger UI from
``/static/apidocs/``. Neither page has an inline script or style, so the strict
Content-Security-Policy of every other page applies to them too.
"""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hub.web.templating import TemplatesDep

#: Where Swagger UI's and ReDoc's own files are served.
VENDOR_URL = "/static-vendor/apidocs"
#: The package folder holding them: ``(package, folder)`` for ``StaticFiles(packages=…)``.
VENDOR_PACKAGE = ("fastapi_offline", "static")

router = APIRouter(include_in_schema=False)


@router.get("/docs")
def swagger_ui(request: Request, templates: TemplatesDep) -> Response:
    """Swagger UI over ``/openapi.json``."""
    return _page(request, templates, "apidocs_swagger.html")


@router.get("/redoc")
def redoc(request: Request, templates: TemplatesDep) -> Response:
    """ReDoc over ``/openapi.json``."""
    return _page(request, templates, "apidocs_redoc.html")


def _page(request: Request, templates: TemplatesDep, template: str) -> Response:
    return templates.TemplateResponse(
        request,
        template,
        {"title": request.app.title, "vendor": VENDOR_URL, "openapi_url": request.app.openapi_url},
    )
