"""The portal's way to the HTTP API: the same app, called in process.

Every page that reads or changes something asks the API's own handler, as the signed-in
principal, so each rule — roles, access policies, validation, the egress guard, the audit
— has exactly one implementation. The same call reaches routes that extensions add (the
runtime's ``/v1/workflows``, ``/v1/runs``) without the gateway importing them.

An API refusal reaches the portal's error page as ``ApiRefused`` (a ``PortwayError``
carrying the API's status, code and message).

The principal travels in the ASGI scope (``gateway.api.auth.IN_PROCESS_PRINCIPAL``),
which only code in this process can set; no bearer token is kept or forged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote, urlencode

from starlette.requests import Request
from starlette.types import Message

from gateway.api.auth import IN_PROCESS_PRINCIPAL
from gateway.api.errors import request_id_of
from gateway.errors import PortwayError
from gateway.store.principals import Principal

#: The most of an answer's body kept for a page (an operation's answer may be large).
MAX_BODY = 256 * 1024


@dataclass
class ApiAnswer:
    """What the API answered: status, headers (lower-case names) and the body's bytes."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    truncated: bool = False

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def header(self, name: str) -> str:
        return next((v for k, v in self.headers if k == name), "")

    @property
    def error(self) -> dict[str, Any]:
        """The one error shape's ``error`` object ({} when the answer is not an error)."""
        if self.ok:
            return {}
        try:
            body = self.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            return dict(body["error"])
        return {"code": f"HTTP{self.status}", "message": f"the API answered {self.status}",
                "details": []}


def path(*segments: str) -> str:
    """An API path from segments, each percent-encoded (``path("v1", "connections", n)``)."""
    return "/" + "/".join(quote(s, safe="") for s in segments)


async def call_api(request: Request, principal: Principal, method: str, api_path: str, *,
                   query: dict[str, str] | None = None, json_body: Any = None,
                   body: bytes | None = None, content_type: str = "") -> ApiAnswer:
    """Call the API route ``method api_path`` of this app as ``principal``.

    Args:
        request: The portal's request (its app, host, scheme and request id are reused).
        query: Query parameters; empty values are left out.
        json_body: Sent as ``application/json`` when given.
        body: Raw bytes with ``content_type`` otherwise.
    """
    if json_body is not None:
        body = json.dumps(json_body).encode("utf-8")
        content_type = "application/json"
    payload = body or b""
    headers = [(b"host", request.headers.get("host", "localhost").encode("latin-1")),
               (b"accept", b"application/json"),
               (b"x-ms-client-request-id", request_id_of(request).encode("latin-1"))]
    if body is not None:
        headers.append((b"content-type", content_type.encode("latin-1")))
        headers.append((b"content-length", str(len(payload)).encode("ascii")))
    query_string = urlencode({k: v for k, v in (query or {}).items() if v})
    scope: dict[str, Any] = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
        "method": method, "scheme": request.url.scheme, "path": unquote(api_path),
        "raw_path": api_path.encode("latin-1"), "root_path": "",
        "query_string": query_string.encode("latin-1"), "headers": headers,
        "client": request.scope.get("client"), "server": request.scope.get("server"),
        "state": {}, IN_PROCESS_PRINCIPAL: principal,
    }
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": payload, "more_body": False}

    answer = ApiAnswer(status=500)
    chunks: list[bytes] = []
    size = 0

    async def send(message: Message) -> None:
        nonlocal size
        if message["type"] == "http.response.start":
            answer.status = int(message["status"])
            answer.headers = [(k.decode("latin-1").lower(), v.decode("latin-1"))
                              for k, v in message.get("headers", [])]
        elif message["type"] == "http.response.body":
            chunk: bytes = message.get("body", b"")
            if size + len(chunk) > MAX_BODY:
                chunk = chunk[:MAX_BODY - size]
                answer.truncated = True
            size += len(chunk)
            chunks.append(chunk)

    await request.app(scope, receive, send)
    answer.body = b"".join(chunks)
    return answer


class ApiRefused(PortwayError):
    """An API answer in the error shape, carried to the portal's error page with the
    API's own status, code, message and details."""

    def __init__(self, answer: ApiAnswer) -> None:
        error = answer.error
        super().__init__(str(error.get("message", "")), details=error.get("details") or [],
                         code=str(error.get("code", "Error")))
        self.status_code = answer.status


def api_error(answer: ApiAnswer) -> PortwayError:
    """The API's error answer as an error of the tree, for the portal's error page."""
    return ApiRefused(answer)


async def get_json(request: Request, principal: Principal, api_path: str, *,
                   query: dict[str, str] | None = None) -> Any:
    """``GET api_path`` as ``principal``: the JSON body, or the API's error raised."""
    answer = await call_api(request, principal, "GET", api_path, query=query)
    if not answer.ok:
        raise api_error(answer)
    return answer.json()
