"""Helpers to build policy template instances shaped like apiProperties.json ones."""

from __future__ import annotations

from typing import Any

from gateway.policies import PolicyRequest, PolicySet
from importers.model import Policy

P = "x-ms-apimTemplateParameter."


def instance(template: str, operations: list[str] | None = None, section: str | None = None,
             title: str = "", **parameters: Any) -> Policy:
    """A policy as the importer stores it: template id lower case, parameters as written."""
    values: dict[str, Any] = {P + key: value for key, value in parameters.items()}
    if operations is not None:
        values["x-ms-apimTemplate-operationName"] = operations
    if section is not None:
        values["x-ms-apimTemplate-policySection"] = section
    return Policy(template=template.lower(), title=title, parameters=values,
                  operations=list(operations or []))


def request(**overrides: Any) -> PolicyRequest:
    """A request to https://api.example.com/v1 for operation GetItem."""
    values: dict[str, Any] = {
        "method": "GET",
        "base_url": "https://api.example.com/v1",
        "path": "/items/42",
        "query": [("page", "2")],
        "headers": {"accept": "application/json", "x-trace": "t-1"},
        "operation_id": "GetItem",
        "path_parameters": {"id": "42"},
        "connection_parameters": {"api_key": "k-123", "region": "eu", "host": "h.example.org"},
        "gateway_base_url": "https://gw.example.net/apim/demo/conn1",
    }
    values.update(overrides)
    return PolicyRequest(**values)


def run(policies: list[Policy], req: PolicyRequest) -> PolicyRequest:
    PolicySet.compile(policies).apply_request(req)
    return req
