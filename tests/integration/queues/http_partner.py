"""A tiny real HTTP partner on loopback, and an adapter whose transport posts to it with httpx.

Used where the partner must outlive the worker process (the kill -9 test): an
``InMemoryTransport`` cannot be shared across processes, a socket can.
"""

import http.server
import threading
from types import TracebackType
from typing import Self

import httpx

from adapters.base import (
    Adapter,
    DeliveryResult,
    OutboundMessage,
    PartnerRejected,
    PartnerUnavailable,
)
from adapters.rest import retry_after_s

#: How long the partner holds a request it was told to hold, at most, in seconds.
HOLD_LIMIT_S = 60.0


class HttpPartner:
    """Accepts POSTed envelopes and records their ``X-Message-Id``.

    With ``hold_first`` the first request is held open (never answered) until
    ``stop()``: the worker sending it is stuck mid-delivery, as with a slow partner.
    With ``fail_first`` the first that many requests are answered ``fail_status`` (500),
    with a ``Retry-After: <retry_after>`` header when that is given.
    """

    def __init__(
        self,
        *,
        hold_first: bool = False,
        fail_first: int = 0,
        fail_status: int = 500,
        retry_after: str | None = None,
    ) -> None:
        self.received: list[str] = []
        self.first_arrived = threading.Event()
        self._release = threading.Event()
        self._hold_first = hold_first
        self._fail_first = fail_first
        self._fail_status = fail_status
        self._retry_after = retry_after
        self._lock = threading.Lock()
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="http-partner")

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/messages"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        partner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                with partner._lock:
                    partner.received.append(self.headers["X-Message-Id"])
                    hold = partner._hold_first and len(partner.received) == 1
                    failing = len(partner.received) <= partner._fail_first
                if hold:
                    partner.first_arrived.set()
                    partner._release.wait(HOLD_LIMIT_S)
                    self.close_connection = True
                    return
                self.send_response(partner._fail_status if failing else 200)
                self.send_header("Content-Length", "0")
                if failing and partner._retry_after is not None:
                    self.send_header("Retry-After", partner._retry_after)
                if not failing:
                    self.send_header("X-Reference", f"ref-{len(partner.received)}")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: the test asserts on ``received``."""

        return Handler


class HttpTransport:
    """Posts the envelope; 5xx and network errors are retryable, other 4xx are refusals.

    A 5xx's Retry-After is read as the hub's REST transports read it.
    """

    def __init__(self, endpoint: str, timeout_s: float) -> None:
        self._endpoint = endpoint
        self._client = httpx.Client(timeout=timeout_s)

    def deliver(self, message: OutboundMessage) -> DeliveryResult:
        try:
            response = self._client.post(
                self._endpoint,
                content=message.envelope,
                headers={"X-Message-Id": message.message_id, "Content-Type": "application/xml"},
            )
        except httpx.TransportError as exc:
            raise PartnerUnavailable(type(exc).__name__) from exc
        if response.status_code >= 500:
            raise PartnerUnavailable(
                f"HTTP {response.status_code}", retry_after_s=retry_after_s(response)
            )
        if response.status_code >= 400:
            raise PartnerRejected(f"HTTP {response.status_code}")
        return DeliveryResult(remote_reference=response.headers.get("X-Reference"))

    def close(self) -> None:
        self._client.close()


HTTP_ADAPTER = Adapter(code="http-test", delivery_mode="push", make_transport=HttpTransport)
