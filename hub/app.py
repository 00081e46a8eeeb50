"""The HTTP application: the JSON API (``hub.api``) and the pages (``hub.web``) side by side.

Built by ``create_app`` from a runtime; nothing is built at import. The two share only
``hub.access`` (who is calling, the audited reads) and never import each other.
``build_app`` is the same application without a runtime (the routes read it per request):
enough for the OpenAPI document, which the published contract exports without a database,
broker or PKI.
"""

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from hub.api.openapi import install_openapi
from hub.api.problems import install_problem_handlers, rejection_response
from hub.api.routes import alerts as alerts_api
from hub.api.routes import attention as attention_api
from hub.api.routes import cases as case_api
from hub.api.routes import contract as contract_api
from hub.api.routes import evidence as evidence_api
from hub.api.routes import health, inbox, messages, partners, session
from hub.api.routes import metrics as metrics_api
from hub.config import Settings
from hub.runtime import HubRuntime
from hub.web.auth import install_access_handlers
from hub.web.routes import admin as admin_pages
from hub.web.routes import apidocs, login
from hub.web.routes import attention as attention_pages
from hub.web.routes import cases as case_pages
from hub.web.routes import stats as stats_pages
from hub.web.security import SecurityHeaders
from hub.web.templating import make_templates


def create_app(runtime: HubRuntime) -> FastAPI:
    """The hub's API and pages: partners post and pull messages; people log in to the pages;
    operators probe health."""
    app = build_app(runtime.settings)
    app.state.runtime = runtime
    return app


def build_app(settings: Settings) -> FastAPI:
    """The routes, handlers and OpenAPI of the hub, with no runtime: requests need one.
    ``settings`` give the OpenAPI its limits (size, rate, the inbox's lease)."""
    app = FastAPI(
        title="Межведомственный узел обмена — API",
        summary="Interagency data-exchange hub for the social support of families with children",
        version="1.0",
        # Served by hub.web.routes.apidocs from the hub's own files, not a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.templates = make_templates()
    app.add_middleware(SecurityHeaders)
    install_problem_handlers(app)
    install_access_handlers(app, rejection_response)
    app.include_router(messages.router)
    app.include_router(inbox.router)
    app.include_router(partners.router)
    app.include_router(health.router)
    app.include_router(metrics_api.router)
    app.include_router(session.router)
    app.include_router(login.router)
    app.include_router(case_api.router)
    app.include_router(attention_api.router)
    app.include_router(alerts_api.router)
    app.include_router(evidence_api.router)
    app.include_router(case_pages.router)
    app.include_router(attention_pages.router)
    app.include_router(stats_pages.router)
    app.include_router(admin_pages.router)
    app.include_router(apidocs.router)
    app.include_router(contract_api.router)
    app.mount("/static", StaticFiles(packages=[("hub.web", "static")]), name="static")
    app.mount(
        apidocs.VENDOR_URL, StaticFiles(packages=[apidocs.VENDOR_PACKAGE]), name="static-vendor"
    )
    install_openapi(app, settings)
    if settings.trusted_proxy_list:
        # Added last, so outermost: the throttle, the audit and the Secure cookie all see
        # the client and scheme the proxy names, and only when that proxy is the peer.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxy_list)
    return app
