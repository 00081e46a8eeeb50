"""Security headers on every response the hub sends, pages and API alike.

The Content-Security-Policy allows only the hub's own scripts, styles and images,
so an injected ``<script>`` or ``style=`` attribute does nothing even if escaping
ever failed. Pages and case data are never cached (``no-store``): a shared
agency computer must not keep a family's page after logout. FastAPI's ``/docs``
and ``/redoc`` load their scripts from a CDN, so those two paths alone go
without a CSP; they show no personal data.
"""

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
#: Paths whose pages pull scripts from a CDN, served without the CSP.
CSP_EXEMPT_PATHS = frozenset({"/docs", "/redoc"})
#: API paths whose answers hold case data or credentials, never to be cached.
NO_STORE_API_PREFIXES = ("/api/v1/cases", "/api/v1/session")

_ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


class SecurityHeaders:
    """ASGI middleware adding the headers above to each HTTP response, unless a route
    set the same header itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                add_security_headers(MutableHeaders(scope=message), path)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def add_security_headers(headers: MutableHeaders, path: str) -> None:
    """Add the hub's security headers for a response to ``path`` (in place)."""
    for name, value in _ALWAYS.items():
        headers.setdefault(name, value)
    if path not in CSP_EXEMPT_PATHS:
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    is_html = headers.get("content-type", "").startswith("text/html")
    if is_html or path.startswith(NO_STORE_API_PREFIXES):
        headers["Cache-Control"] = "no-store"
