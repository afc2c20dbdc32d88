"""The one place where errors become HTTP responses.

Every error response has PRODUCT.md's shape::

    {"error": {"code": "...", "message": "...", "requestId": "...", "details": [...]}}
"""

from __future__ import annotations

import json
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from gateway.errors import Forbidden, PayloadTooLarge, PortwayError, Throttled
from gateway.logging import get_logger

log = get_logger("portway.errors")

_HTTP_CODES = {
    400: "BadRequest", 401: "Unauthenticated", 403: "Forbidden", 404: "NotFound",
    405: "MethodNotAllowed", 409: "Conflict", 413: "PayloadTooLarge", 415: "UnsupportedMediaType",
    422: "Unprocessable", 429: "Throttled",
}


def error_body(code: str, message: str, request_id: str,
               details: list[dict[str, Any]] | None = None) -> bytes:
    return json.dumps({"error": {"code": code, "message": message, "requestId": request_id,
                                 "details": details or []}}).encode("utf-8")


def error_response(status: int, code: str, message: str, request_id: str,
                   details: list[dict[str, Any]] | None = None,
                   headers: dict[str, str] | None = None) -> Response:
    all_headers = {"x-request-id": request_id, **(headers or {})}
    return Response(error_body(code, message, request_id, details), status_code=status,
                    media_type="application/json", headers=all_headers)


def request_id_of(request: Request) -> str:
    return str(request.scope.get("state", {}).get("request_id", ""))


async def handle_portway_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PortwayError)
    headers = {}
    if isinstance(exc, Throttled):
        headers["retry-after"] = str(max(1, int(exc.retry_after + 0.999)))
    if isinstance(exc, PayloadTooLarge):
        # The rest of the body was not read: the connection cannot carry another request.
        headers["connection"] = "close"
    if isinstance(exc, Forbidden) and not exc.audited:
        await _audit_denial(request, exc)
    if exc.status_code >= 500:
        log.warning("request failed", code=exc.code, error=exc.message,
                    request_id=request_id_of(request))
    return error_response(exc.status_code, exc.code, exc.message, request_id_of(request),
                          exc.details, headers)


async def _audit_denial(request: Request, denial: Forbidden) -> None:
    """Every denial reaches the audit log; the ones not logged where they happened, here."""
    services = getattr(request.app.state, "services", None)
    if services is None:
        return
    state = request.scope.get("state", {})
    check = denial.details[0] if denial.details else {}
    denial.audited = True
    await services.db.run(lambda: services.audit.record(
        actor=str(state.get("principal", "")),
        action=denial.audit_action or f"{request.method} {request.url.path}",
        resource=denial.audit_resource or request.url.path, outcome="denied",
        details={"reason": denial.message, **check}, request_id=request_id_of(request)))


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "HttpError")
    return error_response(exc.status_code, code, str(exc.detail), request_id_of(request),
                          headers=dict(exc.headers or {}))


async def handle_client_disconnect(request: Request, exc: Exception) -> Response:
    """A caller that left mid-upload (or whose framing broke) is not the gateway's fault:
    one line, no traceback, nothing stored."""
    log.info("the caller left before its request ended", request_id=request_id_of(request))
    return error_response(400, "BadRequest", "the request body ended before its declared "
                          "length", request_id_of(request), headers={"connection": "close"})


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    # Never echo the exception text: it may carry anything, secrets included.
    log.error("unexpected error", error_type=type(exc).__name__,
              request_id=request_id_of(request), exc_info=exc)
    return error_response(500, "InternalError", "an unexpected error occurred; see the logs "
                          "with this request id", request_id_of(request))


EXCEPTION_HANDLERS = {
    PortwayError: handle_portway_error,
    HTTPException: handle_http_exception,
    ClientDisconnect: handle_client_disconnect,
    Exception: handle_unexpected,
}
