"""``updatenextlink`` end to end: a paging upstream on loopback, a connector imported with
the policy in its apiProperties, and a client that follows the next links through the
gateway until the last page."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.gateway.conftest import RunningGateway
from tests.support.servers import serve_in_thread

PAGES = 3


def _paging_app(seen: list[dict[str, str]]) -> Starlette:
    async def items(request: Request) -> JSONResponse:
        page = int(request.query_params.get("page", "1"))
        seen.append(dict(request.headers))
        body: dict[str, Any] = {"value": [f"item{page}a", f"item{page}b"]}
        if page < PAGES:
            base = f"{request.url.scheme}://{request.url.netloc}"
            body["nextLink"] = f"{base}/api/items?page={page + 1}&size=2"
        return JSONResponse(body)

    return Starlette(routes=[Route("/api/items", items, methods=["GET"])])


@pytest.fixture(scope="module")
def paging() -> Iterator[tuple[str, list[dict[str, str]]]]:
    seen: list[dict[str, str]] = []
    with serve_in_thread(_paging_app(seen)) as url:
        yield url, seen


def _import(gateway: RunningGateway, upstream: str) -> str:
    """Import the paging API with updatenextlink from apiProperties; open a connection."""
    spec = {
        "openapi": "3.0.3", "info": {"title": "Pager", "version": "1"},
        "servers": [{"url": upstream + "/api"}],
        "paths": {"/items": {"get": {
            "operationId": "ListItems",
            "parameters": [{"name": n, "in": "query", "schema": {"type": "integer"}}
                           for n in ("page", "size")],
            "responses": {"200": {"description": "a page"}}}}},
    }
    properties = {"properties": {"policyTemplateInstances": [{
        "templateId": "updatenextlink", "title": "Paging through Portway",
        "parameters": {"x-ms-apimTemplateParameter.nextLinkPropertyName": "nextLink",
                       "x-ms-apimTemplate-policySection": "Response",
                       "x-ms-apimTemplate-operationName": ["ListItems"]}}]}}
    with gateway.client() as client:
        answer = client.put("/v1/connectors/pager", files={
            "spec": ("spec.json", json.dumps(spec), "application/json"),
            "apiProperties": ("apiProperties.json", json.dumps(properties),
                              "application/json")})
        assert answer.status_code in (200, 201), answer.text
        answer = client.put("/v1/connections/pager-conn",
                            json={"connector": "pager", "parameters": {}})
        assert answer.status_code in (200, 201), answer.text
    return "pager-conn"


def test_next_links_lead_through_the_gateway_to_every_page(
        gateway: RunningGateway, paging: tuple[str, list[dict[str, str]]]) -> None:
    upstream, seen = paging
    connection = _import(gateway, upstream)
    base = f"{gateway.url}/apim/pager/{connection}"
    pages: list[list[str]] = []
    links: list[str] = []
    url: str | None = f"{base}/items?page=1"
    before = len(seen)
    with gateway.client() as client:
        while url is not None:
            answer = client.get(url)
            assert answer.status_code == 200, answer.text
            pages.append(answer.json()["value"])
            url = answer.json().get("nextLink")
            if url is not None:
                links.append(url)
    assert pages == [["item1a", "item1b"], ["item2a", "item2b"], ["item3a", "item3b"]]
    assert links == [f"{base}/items?page=2&size=2", f"{base}/items?page=3&size=2"]
    assert len(seen) - before == PAGES  # each page came from the upstream, once


def test_forwarded_headers_do_not_move_the_next_link(
        gateway: RunningGateway, paging: tuple[str, list[dict[str, str]]]) -> None:
    upstream, _ = paging
    connection = _import(gateway, upstream)
    with gateway.client() as client:
        answer = client.get(f"/apim/pager/{connection}/items", headers={
            "x-forwarded-host": "evil.example", "x-forwarded-proto": "https",
            "forwarded": "host=evil.example;proto=https"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["nextLink"] == (
        f"{gateway.url}/apim/pager/{connection}/items?page=2&size=2")


def test_a_call_by_operation_id_gets_the_gateway_link_too(
        gateway: RunningGateway, paging: tuple[str, list[dict[str, str]]]) -> None:
    upstream, _ = paging
    connection = _import(gateway, upstream)
    with gateway.client() as client:
        first = client.post(f"/v1/connections/{connection}/operations/ListItems",
                            json={"page": 2})
        assert first.status_code == 200, first.text
        link = first.json()["nextLink"]
        assert link == f"{gateway.url}/apim/pager/{connection}/items?page=3&size=2"
        last = client.get(link)
    assert last.status_code == 200, last.text
    assert last.json() == {"value": ["item3a", "item3b"]}

