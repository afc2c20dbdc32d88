"""The whole pipeline against a real upstream: routing, validation, credentials, hygiene."""

from __future__ import annotations

from tests.gateway.proxy.conftest import API_KEY, ProxyEnv


def test_a_call_reaches_the_upstream_with_the_connection_key(env: ProxyEnv) -> None:
    with env.client() as client:
        response = client.get(env.path("items/5"), params={"q": "abc"})
    assert response.status_code == 200
    seen = response.json()
    assert seen["path"] == "/api/items/5"
    assert seen["query"] == [["q", "abc"]]
    assert seen["headers"]["x-api-key"] == API_KEY
