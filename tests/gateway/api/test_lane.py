"""The data plane's lane (``gateway.api.lane``, under Portway's server) answers every
``/apim`` call as the ASGI path (``gateway.api.front`` → ``dataplane.relay``, under any
server) does: the same app and store behind both, the same calls, the same answers."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.services import Services
from tests.gateway.proxy.conftest import Upstream, add_connection, build_connector
from tests.gateway.proxy.upstream_app import UpstreamState, build_upstream
from tests.support.servers import serve_in_thread, serve_portway_in_thread

#: Headers that differ by nature: the clock, the framing each server picks, the ids.
_VOLATILE = {"date", "server", "content-length", "transfer-encoding", "connection",
             "x-request-id", "x-ms-client-request-id"}


@pytest.fixture(scope="module")
def data_upstream() -> Iterator[Upstream]:
    """The data plane tests' upstream (it reads uploads, streams large answers...)."""
    state = UpstreamState()
    with serve_in_thread(build_upstream(state)) as url:
        yield Upstream(url, state)


@pytest.fixture
def bases(services: Services, data_upstream: Upstream) -> Iterator[dict[str, str]]:
    connector = build_connector(data_upstream.url + "/api", proxy={
        "rateLimitCalls": 3, "rateLimitPeriod": 3600, "maxRetries": 0})
    add_connection(services, connector)
    add_connection(services, connector, name="other-conn")
    # One app each: an app's data plane lives on the event loop that started it.
    with serve_in_thread(create_app(services=services, extensions=[])) as asgi, \
            serve_portway_in_thread(create_app(services=services, extensions=[])) as lane:
        yield {"asgi": asgi, "lane": lane}


def _answer(response: httpx.Response) -> dict[str, Any]:
    request_id = response.headers.get("x-request-id", "")
    body = response.content.replace(request_id.encode(), b"<id>") if request_id else \
        response.content
    return {
        "status": response.status_code,
        "headers": sorted((k, v) for k, v in response.headers.multi_items()
                          if k not in _VOLATILE),
        "ids": response.headers.get("x-request-id") == response.headers.get(
            "x-ms-client-request-id") != "",
        "body": body if len(body) < 4096 else hashlib.sha256(body).hexdigest(),
        "length": len(response.content),
    }


def _both(bases: dict[str, str], method: str, path: str, **kwargs: Any
          ) -> tuple[dict[str, Any], dict[str, Any]]:
    answers = []
    for name in ("asgi", "lane"):
        sent = dict(kwargs)
        if "chunks" in sent:  # a body streamed in parts (chunked), afresh for each side
            sent["content"] = iter(sent.pop("chunks"))
        with httpx.Client(base_url=bases[name], timeout=30) as client:
            answers.append(_answer(client.request(method, path, **sent)))
    return answers[0], answers[1]


CALLS: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/apim/demo/demo-conn/items/42?q=abc", {}),
    ("HEAD", "/apim/demo/demo-conn/items/42", {}),
    ("GET", "/apim/demo/demo-conn/items/42?q=toolong", {}),
    ("GET", "/apim/demo/demo-conn/items/notanumber", {}),
    ("GET", "/apim/demo/demo-conn/nowhere", {}),
    ("PATCH", "/apim/demo/demo-conn/items/1", {}),
    ("POST", "/apim/demo/demo-conn/items/1", {"content": b"plain bytes",
                                              "headers": {"content-type": "text/plain"}}),
    ("PUT", "/apim/demo/demo-conn/items/1", {"json": {"name": "widget", "size": 3}}),
    ("PUT", "/apim/demo/demo-conn/items/1", {"json": {"size": "three"}}),
    ("PUT", "/apim/demo/demo-conn/upload", {"chunks": [b"a" * 70_000] * 5}),
    ("GET", "/apim/demo/demo-conn/echo/%2e%2e", {}),
    ("GET", "/apim/demo/demo-conn/echo/a%2Fb", {}),
    ("GET", "/apim/demo/demo-conn/status/503", {}),
    ("GET", "/apim/demo/demo-conn/redirect", {}),
    ("GET", "/apim/demo/demo-conn/huge?bytes=700000", {}),
    ("GET", "/apim/demo/demo-conn/huge?bytes=1000&length=1", {}),
    ("GET", "/apim/other/demo-conn/items/1", {}),
    ("GET", "/apim/demo/missing-conn/items/1", {}),
    ("GET", "/apim/demo/demo-conn/items/1", {"headers": {"x-note": "caf\u00e9".encode()}}),
    ("GET", "/apim/demo/demo-conn/items/1", {"headers": {"x-ms-client-request-id": "mine-1"}}),
]


@pytest.mark.parametrize(("method", "path", "kwargs"), CALLS,
                         ids=[f"{m} {p}" for m, p, _ in CALLS])
def test_the_lane_answers_as_the_asgi_path(bases: dict[str, str], services: Services,
                                           method: str, path: str, kwargs: dict[str, Any]
                                           ) -> None:
    token = services.principals.create_token("caller", "owner")
    given = dict(kwargs)
    headers = {"authorization": f"Bearer {token}", **given.pop("headers", {})}
    asgi, lane = _both(bases, method, path, headers=headers, **given)
    assert lane == asgi
    assert lane["ids"]


def test_refusals_before_the_pipeline_match(bases: dict[str, str], services: Services) -> None:
    outsider = services.principals.create_token("outsider", None)
    for headers in ({}, {"authorization": "Bearer not-a-token"},
                    {"authorization": f"Bearer {outsider}"}):
        asgi, lane = _both(bases, "GET", "/apim/demo/demo-conn/items/1", headers=headers)
        assert lane == asgi
        assert lane["status"] in (401, 403)


def test_the_throttle_refuses_alike(bases: dict[str, str], services: Services) -> None:
    """Each app counts in its own process (no Redis here): three calls, then 429."""
    token = services.principals.create_token("caller", "owner")
    headers = {"authorization": f"Bearer {token}"}
    answers = {}
    for name in ("asgi", "lane"):
        with httpx.Client(base_url=bases[name], timeout=30) as client:
            answers[name] = [_answer(client.get("/apim/demo/other-conn/items/1",
                                                headers=headers)) for _ in range(4)]
    assert answers["lane"][:3] == answers["asgi"][:3]
    for name in ("asgi", "lane"):
        refused = answers[name][3]
        assert refused["status"] == 429
        assert any(k == "retry-after" for k, _ in refused["headers"])
        assert b'"code": "Throttled"' in refused["body"]


def test_a_client_request_id_is_echoed_by_the_lane(bases: dict[str, str],
                                                    services: Services) -> None:
    token = services.principals.create_token("caller", "owner")
    with httpx.Client(base_url=bases["lane"], timeout=30) as client:
        answer = client.get("/apim/demo/demo-conn/items/1", headers={
            "authorization": f"Bearer {token}", "x-ms-client-request-id": "req-77"})
    assert answer.headers["x-request-id"] == answer.headers["x-ms-client-request-id"] == \
        "req-77"
    assert answer.json()["headers"]["x-ms-client-request-id"] == "req-77"
