"""Schemathesis against our own /openapi.json: no input makes the API fail (5xx) or
answer an error in any shape but the one."""

from __future__ import annotations

import hypothesis
import schemathesis

from gateway.api.openapi import build_openapi
from tests.gateway.conftest import RunningGateway

schema = schemathesis.openapi.from_dict(build_openapi())



@schema.parametrize()
@hypothesis.settings(max_examples=25, deadline=None,
                     suppress_health_check=list(hypothesis.HealthCheck))
def test_no_input_breaks_the_api(case: schemathesis.Case, gateway: RunningGateway) -> None:
    response = case.call(base_url=gateway.url, headers={
        "authorization": f"Bearer {gateway.owner_token}"}, timeout=30)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        body = response.json()
        assert set(body["error"]) == {"code", "message", "requestId", "details"}
