"""The HTTP application: built by ``create_app`` from a runtime; nothing is built at import."""

from fastapi import FastAPI

from hub.api.problems import install_problem_handlers
from hub.api.routes import health, inbox, messages
from hub.runtime import HubRuntime


def create_app(runtime: HubRuntime) -> FastAPI:
    """The hub's API: partners post and pull messages; operators probe health."""
    app = FastAPI(
        title="Межведомственный узел обмена — API",
        summary="Interagency data-exchange hub for the social support of families with children",
        version="1.0",
    )
    app.state.runtime = runtime
    install_problem_handlers(app)
    app.include_router(messages.router)
    app.include_router(inbox.router)
    app.include_router(health.router)
    return app
