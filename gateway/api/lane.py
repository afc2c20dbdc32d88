"""The data plane's direct lane: ``/apim`` calls served by Portway's own server without
ASGI in between.

Under the other servers an ``/apim`` call goes server → Starlette → its error
middleware → ``gateway.api.front`` → ``gateway.api.dataplane.relay``, and its answer
back through the same layers as ASGI messages. Under Portway's server
(``gateway.server``) the lane takes the call from the parsed request straight to the
same ``dataplane`` code, and writes the answer with its head in one write: about a
quarter of the CPU a proxied call costs through the server (``bench/proxy.py``).

What a call meets is the same either way, and ``tests/gateway/api/test_lane.py`` holds
the two to it: the request id (``front.request_id_of_headers``), the size limits (the
server enforces ``front``'s), authentication, the pipeline, the error handlers and their
audit, streaming both ways, HEAD.
"""

from __future__ import annotations

import contextvars
from typing import Any

import structlog
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp

from gateway.api import dataplane
from gateway.api.front import SendWithIds, id_headers, request_id_of_headers
from gateway.server.protocol import RequestCycle


class DataPlaneLane:
    """The lane for one app (``gateway.server.protocol.Lane``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def claim(self, scope: dict[str, Any]) -> list[str] | None:
        return dataplane.apim_target(scope)

    async def __call__(self, cycle: RequestCycle, target: list[str]) -> None:
        scope = cycle.scope
        scope["app"] = self.app
        request_id, _size = request_id_of_headers(scope["headers"])
        scope["state"]["request_id"] = request_id
        ids = id_headers(request_id)
        # As bind_contextvars(request_id=...) does; the call runs in a task of its own,
        # with a context of its own, so what is set here ends with it.
        _REQUEST_ID.set(request_id)
        try:
            response = await dataplane.proxied(scope, cycle.receive, ids, target)
        except ClientDisconnect:
            return  # the caller went away mid-upload: nobody to answer
        except Exception as exc:
            await dataplane.answer_error(scope, cycle.receive, SendWithIds(cycle.send, ids),
                                         exc)
            return
        upstream = response.upstream
        if upstream.content is not None or upstream.stream is None:
            try:
                cycle.respond(response.status_code, response.raw_headers,
                              upstream.content or b"")
            finally:
                await upstream.aclose()
            return
        await response(scope, cycle.receive, cycle.send)  # a large answer: streamed


def _structlog_variable(key: str) -> contextvars.ContextVar[Any]:
    """The context variable ``structlog.contextvars.bind_contextvars`` sets for ``key``."""
    token = structlog.contextvars.bind_contextvars(**{key: None})[key]
    token.var.reset(token)
    return token.var


_REQUEST_ID = _structlog_variable("request_id")


def data_plane_lane(app: ASGIApp) -> DataPlaneLane:
    """The ``gateway.server`` lane factory for the gateway's app."""
    return DataPlaneLane(app)
