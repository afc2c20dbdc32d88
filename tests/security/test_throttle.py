"""One principal cannot use up a connection's whole throttle for everyone (issue 13, item
10), through the real ``portway serve``."""

from __future__ import annotations

from tests.security.conftest import Served, items_spec


def test_a_per_principal_limit_leaves_the_others_their_share(served: Served) -> None:
    spec = items_spec(served.upstream.url, title="Shared")
    spec["x-portway-proxy"] = {"rateLimitCalls": 6, "rateLimitPeriod": 3600,
                               "rateLimitPerPrincipal": 2}
    assert served.put_connector("shared", spec).status_code == 201
    with served.client() as owner:
        assert owner.put("/v1/connections/pool", json={
            "connector": "shared", "parameters": {"api_key": "sk-shared-0123456789"}}
        ).status_code == 201
        for principal in ("greedy", "polite"):
            assert owner.put(f"/v1/connections/pool/access-policies/{principal}"
                             ).status_code == 200
    greedy, polite = served.token("greedy", None), served.token("polite", None)
    with served.client(greedy) as client:
        statuses = [client.get("/apim/shared/pool/items/1").status_code for _ in range(5)]
        refused = client.get("/apim/shared/pool/items/1")
    assert statuses == [200, 200, 429, 429, 429]
    assert refused.json()["error"]["details"][0]["per"] == "principal"
    assert int(refused.headers["retry-after"]) > 0
    with served.client(polite) as client:
        assert [client.get("/apim/shared/pool/items/1").status_code for _ in range(2)] == [
            200, 200]
