"""Security headers on every response the hub sends, pages and API alike.

The Content-Security-Policy allows only the hub's own scripts, styles and images,
so an injected ``<script>`` or ``style=`` attribute does nothing even if escaping
ever failed. It holds for every path, the API's documentation pages (``/docs``,
``/redoc``) included: they load Swagger UI and ReDoc from the hub's own files, with no
inline script. Pages and case data are never cached (``no-store``): a shared
agency computer must not keep a family's page after logout.
"""

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: ReDoc (``/redoc``) styles itself through styled-components, which adds an empty
#: ``<style>`` and fills it through the CSSOM, plus one fixed stylesheet of its own. These
#: are the hashes of exactly those two texts (the first is the empty string), so no
#: 'unsafe-inline' is needed; any other inline style is still refused. They change only
#: with the pinned ``fastapi-offline``, and the browser test then names the new hash.
_REDOC_STYLE_HASHES = (
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=' "
    "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='"
)
CONTENT_SECURITY_POLICY = (
    f"default-src 'self'; script-src 'self'; style-src 'self' {_REDOC_STYLE_HASHES}; "
    "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
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
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    is_html = headers.get("content-type", "").startswith("text/html")
    if is_html or path.startswith(NO_STORE_API_PREFIXES):
        headers["Cache-Control"] = "no-store"
