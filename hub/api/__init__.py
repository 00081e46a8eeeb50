"""The hub's HTTP API (FastAPI); OpenAPI at /docs."""

from hub.api.app import create_app

__all__ = ["create_app"]
