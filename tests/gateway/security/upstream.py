"""A small real upstream for connection tests: it records every request it sees and
answers with what it received; ``/status/{code}`` answers that status."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from importers import AuthScheme, ConnectionParameter, Connector, Operation, Parameter
from tests.support.servers import serve_in_thread


@dataclass
class Upstream:
    url: str
    seen: list[dict[str, Any]] = field(default_factory=list)


@contextmanager
def serve_upstream() -> Iterator[Upstream]:
    upstream = Upstream(url="")

    async def echo(request: Request) -> JSONResponse:
        entry = {"method": request.method, "path": request.url.path,
                 "query": dict(request.query_params), "headers": dict(request.headers)}
        upstream.seen.append(entry)
        status = int(request.path_params.get("code", 200))
        return JSONResponse(entry, status_code=status)

    app = Starlette(routes=[
        Route("/status/{code:int}", echo, methods=["GET"]),
        Route("/{path:path}", echo, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
    ])
    with serve_in_thread(app) as url:
        upstream.url = url
        upstream.seen.clear()  # forget the readiness probe
        yield upstream


def key_connector(base: str, connector_id: str = "keyed", *,
                  test_status: int | None = None) -> Connector:
    """An API-key connector (header ``X-Api-Key``) with an optional test operation."""
    operations = [_get_thing(),
                  Operation(operation_id="Ping", method="GET", path="/status/{code}",
                            parameters=[Parameter(name="code", location="path", required=True,
                                                  json_schema={"type": "integer"})])]
    capabilities: dict[str, Any] = {}
    if test_status is not None:
        capabilities = {"testConnection": {"operationId": "Ping",
                                           "parameters": {"code": test_status}}}
    return Connector(
        id=connector_id, source_format="openapi3.0", base_url=base,
        auth=[AuthScheme(name="key", kind="apiKey", location="header", key_name="X-Api-Key",
                         parameters=["api_key"])],
        connection_parameters=[
            ConnectionParameter(name="api_key", type="securestring", required=True),
            ConnectionParameter(name="region", type="string", allowed_values=["eu", "us"]),
            ConnectionParameter(name="retries", type="int"),
        ],
        operations=operations, capabilities=capabilities,
    )


def basic_connector(base: str, connector_id: str = "basic") -> Connector:
    return Connector(
        id=connector_id, source_format="swagger2", base_url=base,
        auth=[AuthScheme(name="basic", kind="basic", parameters=["username", "password"])],
        connection_parameters=[
            ConnectionParameter(name="username", type="string", required=True),
            ConnectionParameter(name="password", type="securestring", required=True)],
        operations=[_get_thing()],
    )


def _get_thing() -> Operation:
    return Operation(operation_id="GetThing", method="GET", path="/things/{id}",
                     parameters=[Parameter(name="id", location="path", required=True,
                                           json_schema={"type": "string"})])
