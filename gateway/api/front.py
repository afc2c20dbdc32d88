"""The app's one middleware: what every request meets first, on every server.

* **A request id** on every request and response. A client's ``x-ms-client-request-id``
  (printable, at most 100 characters) is used as the request id and echoed; otherwise a
  new one is made. It is stored in ``scope["state"]["request_id"]`` for handlers and
  logs, bound to the log context, and sent back as ``x-request-id`` and
  ``x-ms-client-request-id``.
* **Oversized requests** refused in the one error shape: a request target over
  ``MAX_URL_BYTES`` (414) or a header section over ``MAX_HEADER_BYTES`` (431). Servers
  refuse far longer ones themselves; these limits come first, so a caller gets the shape.
* **The data plane's shortcut**: ``/apim/...`` calls go straight to
  ``gateway.api.dataplane.relay``, past Starlette's exception middleware, router and
  endpoint wrapper (about a sixth of a proxied call's CPU when first measured,
  docs/proxy.md), with the same error handlers. Anything else goes on to the app
  unchanged (and gets its 404/405). Under Portway's own server the data plane's lane
  (``gateway.api.lane``) takes ``/apim`` calls before ASGI, this middleware included.
* **The last word on errors**: what no exception handler turned into a response is
  logged (never echoed: its text may carry anything) and answered 500 in the one shape.
  Only Starlette's own error middleware sits outside this one; it sees an error only
  when the answer had already started, and passes it to the server.
"""

from __future__ import annotations

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.api import dataplane
from gateway.api.errors import error_body
from gateway.ids import new_request_id
from gateway.logging import get_logger

log = get_logger("portway.requests")

_CLIENT_ID = b"x-ms-client-request-id"
_REQUEST_ID = b"x-request-id"
#: The longest client request id taken (Azure's are GUIDs, 36 characters).
MAX_CLIENT_ID = 100

#: The longest request target (path and query) and header section taken, in bytes.
MAX_URL_BYTES = 16 * 1024
MAX_HEADER_BYTES = 32 * 1024


class Front:
    """The middleware the module describes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id, header_bytes = request_id_of_headers(scope["headers"])
        url_bytes = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
        if url_bytes > MAX_URL_BYTES or header_bytes > MAX_HEADER_BYTES:
            await _refuse_oversized(send, request_id, url_bytes > MAX_URL_BYTES)
            return
        state = scope.get("state")
        if state is None:
            scope["state"] = state = {}
        state["request_id"] = request_id
        ids = id_headers(request_id)
        send_with_id = SendWithIds(send, ids)
        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            target = dataplane.apim_target(scope)
            if target is not None:
                # Its answer carries the ids itself; its errors go through send_with_id.
                await dataplane.relay(scope, receive, send, send_with_id, ids, target)
            else:
                await self.app(scope, receive, send_with_id)
        except Exception as exc:
            if send_with_id.started:
                raise
            log.error("unexpected error", error_type=type(exc).__name__,
                      request_id=request_id, exc_info=exc)
            body = error_body("InternalError", "an unexpected error occurred; see the logs "
                              "with this request id", request_id)
            await send({"type": "http.response.start", "status": 500, "headers": [
                (b"content-type", b"application/json"), *ids]})
            await send({"type": "http.response.body", "body": body})
        finally:
            structlog.contextvars.unbind_contextvars("request_id")


class SendWithIds:
    """An ASGI ``send`` that puts ``ids`` on the answer, in place of any request-id
    headers the app set; ``started`` tells whether the answer has begun."""

    __slots__ = ("ids", "send", "started")

    def __init__(self, send: Send, ids: list[tuple[bytes, bytes]]) -> None:
        self.send = send
        self.ids = ids
        self.started = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
            message["headers"] = [
                (k, v) for k, v in message.get("headers", [])
                if k.lower() not in (_REQUEST_ID, _CLIENT_ID)] + self.ids
        await self.send(message)


def request_id_of_headers(headers: list[tuple[bytes, bytes]]) -> tuple[str, int]:
    """The request's id (the caller's ``x-ms-client-request-id`` when it is fit to be
    echoed, logged and audited: printable, at most ``MAX_CLIENT_ID`` characters; else a
    new one) and the size of its header section."""
    request_id = ""
    header_bytes = 0
    for name, value in headers:
        header_bytes += len(name) + len(value) + 4
        if name == _CLIENT_ID and not request_id:
            candidate = value.decode("latin-1")
            if len(candidate) <= MAX_CLIENT_ID and candidate.isprintable():
                request_id = candidate
    return request_id or new_request_id(), header_bytes


def id_headers(request_id: str) -> list[tuple[bytes, bytes]]:
    """What every answer carries back: ``x-request-id`` and ``x-ms-client-request-id``."""
    encoded = request_id.encode("latin-1")
    return [(_REQUEST_ID, encoded), (_CLIENT_ID, encoded)]


async def _refuse_oversized(send: Send, request_id: str, url: bool) -> None:
    status, code, message = (
        (414, "UriTooLong", f"the request target is over {MAX_URL_BYTES} bytes") if url else
        (431, "HeadersTooLarge", f"the request's headers are over {MAX_HEADER_BYTES} bytes"))
    encoded = request_id.encode("latin-1")
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (_REQUEST_ID, encoded), (_CLIENT_ID, encoded),
        (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": error_body(code, message, request_id)})
