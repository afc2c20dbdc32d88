"""Schemathesis against the runtime's paths of /openapi.json: no input makes the runtime's
API fail (5xx) or answer an error in any shape but the one."""

from __future__ import annotations

import hypothesis
import schemathesis

from gateway.api.openapi import build_openapi
from runtime.api.openapi import runtime_openapi
from tests.gateway.conftest import RunningGateway

_document = build_openapi([runtime_openapi()])
_document["paths"] = {path: item for path, item in _document["paths"].items()
                      if path in runtime_openapi()["paths"]}
schema = schemathesis.openapi.from_dict(_document)


@schema.parametrize()
@hypothesis.settings(max_examples=15, deadline=None,
                     suppress_health_check=list(hypothesis.HealthCheck))
def test_no_input_breaks_the_runtime_api(case: schemathesis.Case,
                                         runtime_gateway: RunningGateway) -> None:
    response = case.call(base_url=runtime_gateway.url, headers={
        "authorization": f"Bearer {runtime_gateway.owner_token}"}, timeout=30)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        body = response.json()
        assert set(body["error"]) == {"code", "message", "requestId", "details"}
