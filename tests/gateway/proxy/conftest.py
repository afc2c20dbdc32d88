"""Fixtures for the data plane: a real upstream on loopback, a connector and a connection
pointing at it, and the gateway in front (SQLite here; shared counters have their own
tests on Redis and PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.proxy.pipeline import Proxy
from gateway.services import Services, build_services
from gateway.store.principals import Principal
from importers import AuthScheme, Connector, Operation, Parameter, Response
from tests.gateway.conftest import RunningGateway, make_settings
from tests.gateway.proxy.upstream_app import UpstreamState, build_upstream
from tests.support.servers import serve_in_thread

API_KEY = "k-secret-value-123"

_STRING = {"type": "string"}
_ITEM = {"type": "object", "required": ["name"],
         "properties": {"name": {"type": "string"}, "size": {"type": "integer"}}}

# operationId, method, path, parameters, body schema, 200 response schema
OPERATIONS: list[tuple[str, str, str, list[dict[str, Any]], dict[str, Any] | None,
                       dict[str, Any] | None]] = [
    ("getItem", "GET", "/items/{id}", [
        {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
        {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 5}},
        {"name": "tags", "in": "query", "schema": {"type": "array",
                                                  "items": {"type": "integer"}}},
        {"name": "x-trace", "in": "header", "schema": {"type": "string"}},
    ], None, None),
    ("putItem", "PUT", "/items/{id}", [
        {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
    ], _ITEM, None),
    ("postItem", "POST", "/items/{id}", [
        {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
    ], None, None),
    ("deleteItem", "DELETE", "/items/{id}", [
        {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
    ], None, None),
    ("echo", "GET", "/echo/{rest}", [
        {"name": "rest", "in": "path", "required": True, "schema": _STRING},
    ], None, None),
    ("slow", "GET", "/slow", [{"name": "seconds", "in": "query", "schema": _STRING}],
     None, None),
    ("flap", "GET", "/flap", [
        {"name": name, "in": "query", "schema": _STRING}
        for name in ("key", "failures", "status", "retryAfter")], None, None),
    ("flapPost", "POST", "/flap", [
        {"name": name, "in": "query", "schema": _STRING}
        for name in ("key", "failures", "status")], None, None),
    ("status", "GET", "/status/{code}", [
        {"name": "code", "in": "path", "required": True, "schema": _STRING}], None, None),
    ("redirect", "GET", "/redirect", [], None, None),
    ("huge", "GET", "/huge", [
        {"name": name, "in": "query", "schema": _STRING} for name in ("bytes", "length")],
     None, None),
    ("upload", "PUT", "/upload", [], None, None),
    ("page", "GET", "/page", [], None, None),
    ("typed", "GET", "/typed", [{"name": "bad", "in": "query", "schema": _STRING}], None,
     {"type": "object", "properties": {"id": {"type": "integer"}}}),
]


def build_connector(base_url: str, connector_id: str = "demo",
                    proxy: dict[str, Any] | None = None,
                    policies: list[dict[str, Any]] | None = None) -> Connector:
    """A REST connector over the test upstream, with its OpenAPI 3.0 document."""
    paths: dict[str, Any] = {}
    operations = []
    for operation_id, method, path, parameters, body, answer in OPERATIONS:
        raw: dict[str, Any] = {"operationId": operation_id, "parameters": parameters,
                               "responses": {"200": {"description": "ok"}}}
        if body is not None:
            raw["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": body}}}
        if answer is not None:
            raw["responses"]["200"]["content"] = {"application/json": {"schema": answer}}
        paths.setdefault(path, {})[method.lower()] = raw
        model_parameters = [Parameter(name=p["name"], location=p["in"],
                                      required=p.get("required", False),
                                      json_schema=p["schema"]) for p in parameters]
        if body is not None:
            model_parameters.append(Parameter(name="body", location="body", required=True,
                                              json_schema=body))
        operations.append(Operation(
            operation_id=operation_id, method=method, path=path,
            parameters=model_parameters, request_schema=body,
            responses=[Response(status="200", json_schema=answer)]))
    document = {"openapi": "3.0.3", "info": {"title": connector_id, "version": "1"},
                "servers": [{"url": base_url}], "paths": paths}
    return Connector.model_validate({
        "id": connector_id, "source_format": "openapi3.0", "base_url": base_url,
        "auth": [AuthScheme(name="key", kind="apiKey", location="header",
                            key_name="x-api-key", parameters=["api_key"])],
        "operations": operations, "openapi": document,
        "metadata": {"proxy": proxy} if proxy else {},
        "policies": policies or [],
    })


def add_connection(services: Services, connector: Connector, name: str = "demo-conn",
                   secrets: dict[str, str] | None = None,
                   parameters: dict[str, Any] | None = None) -> None:
    services.connectors.save(connector, source="test")
    services.connections.put(
        name=name, connector_id=connector.id, display_name=name, tags={},
        parameters=parameters or {},
        secrets={"api_key": API_KEY} if secrets is None else secrets, status="Connected",
        status_reason="", created_by="owner")


@dataclass
class Upstream:
    url: str
    state: UpstreamState


@pytest.fixture(scope="session")
def upstream() -> Iterator[Upstream]:
    state = UpstreamState()
    with serve_in_thread(build_upstream(state)) as url:
        yield Upstream(url, state)



@dataclass
class ProxyEnv:
    gateway: RunningGateway
    upstream: Upstream
    connector: Connector

    def client(self, token: str | None = None) -> httpx.Client:
        return self.gateway.client(token)

    def path(self, rest: str, connection: str = "demo-conn") -> str:
        return f"/apim/{self.connector.id}/{connection}/{rest.lstrip('/')}"


def make_env(gateway: RunningGateway, upstream: Upstream,
             proxy: dict[str, Any] | None = None,
             policies: list[dict[str, Any]] | None = None) -> ProxyEnv:
    options = {"rateLimitCalls": 0, "maxRetries": 2, "retryBudgetSeconds": 5,
               **(proxy or {})}
    connector = build_connector(upstream.url + "/api", proxy=options, policies=policies)
    add_connection(gateway.services, connector)
    return ProxyEnv(gateway, upstream, connector)


@pytest.fixture
def env(gateway: RunningGateway, upstream: Upstream) -> ProxyEnv:
    return make_env(gateway, upstream)


class FakeTime:
    """An injectable clock and sleep: sleeping advances the clock at once."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@contextmanager
def custom_gateway(tmp_path: Path, **sections: dict[str, Any]) -> Iterator[RunningGateway]:
    """A gateway on SQLite with some settings changed (egress allow stays loopback)."""
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'custom.db'}", **sections)
    services = build_services(settings)
    try:
        app = create_app(services=services, extensions=[])
        with serve_in_thread(app) as url:
            token = Path(settings.security.owner_token_file).read_text().strip()
            yield RunningGateway(url=url, owner_token=token, services=services)
    finally:
        services.db.dispose()


@asynccontextmanager
async def direct_proxy(services: Services, time: FakeTime) -> AsyncIterator[
        tuple[Proxy, Principal]]:
    """The pipeline without the HTTP layer, on fake time, and a principal allowed to call."""
    token = services.principals.create_token("tester", "owner")
    principal = services.principals.authenticate(token)
    assert principal is not None
    proxy = Proxy(services, clock=time.clock, sleep=time.sleep)
    try:
        yield proxy, principal
    finally:
        await proxy.aclose()
