"""One fixture per breaking-change rule, and an unchanged re-import that breaks nothing."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from importers import Connector, breaking_changes
from importers.versions import RULES
from tests.importers.conftest import import_json, swagger_doc


def connector(doc: dict[str, Any]) -> Connector:
    c = import_json(doc).connector
    assert c is not None
    return c


def get_op(doc: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = doc["paths"]["/tickets/{id}"]["get"]
    return op


def add_param(required: bool) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        get_op(doc).setdefault("parameters", []).append(
            {"name": "expand", "in": "query", "type": "string", "required": required})
    return change


CHANGES: dict[str, Callable[[dict[str, Any]], None]] = {
    "removed-operation": lambda d: d["paths"]["/tickets/{id}"].pop("delete"),
    "changed-operation-route": lambda d: d["paths"].update(
        {"/t/{id}": d["paths"].pop("/tickets/{id}")}),
    "changed-operation-kind": lambda d: get_op(d).update({"x-ms-trigger": "single"}),
    "removed-parameter": lambda d: d["paths"]["/tickets/{id}"].pop("parameters"),
    "new-required-parameter": add_param(True),
    "changed-parameter-type": lambda d: d["paths"]["/tickets/{id}"]["parameters"][0].update(
        {"type": "integer"}),
    "changed-auth": lambda d: d.update(securityDefinitions={"key": {
        "type": "apiKey", "in": "query", "name": "key"}}),
    "new-required-connection-parameter": lambda d: d.update(securityDefinitions={
        "key": {"type": "apiKey", "in": "header", "name": "X-Key"}, "basic": {"type": "basic"}}),
    "changed-response-type": lambda d: get_op(d)["responses"]["200"].update(
        {"schema": {"type": "array"}}),
    "changed-host": lambda d: d.update(host="attacker.example"),
}


def test_an_unchanged_reimport_breaks_nothing() -> None:
    assert breaking_changes(connector(swagger_doc()), connector(swagger_doc())) == []


def test_a_new_optional_parameter_breaks_nothing() -> None:
    new = swagger_doc()
    add_param(False)(new)
    assert breaking_changes(connector(swagger_doc()), connector(new)) == []


@pytest.mark.parametrize("rule", sorted(CHANGES))
def test_each_rule_fires_on_its_change(rule: str) -> None:
    new = copy.deepcopy(swagger_doc())
    CHANGES[rule](new)
    findings = breaking_changes(connector(swagger_doc()), connector(new))
    assert rule in {f.rule for f in findings}
    (finding,) = [f for f in findings if f.rule == rule][:1]
    assert finding.severity == RULES[rule][0]
    assert finding.pointer.startswith(("/operations/", "/auth", "/connection_parameters/",
                                       "/base_url", "/policies"))


@pytest.mark.parametrize("change", [
    lambda d: d.update(schemes=["http"]), lambda d: d.update(host="api.example.com:8443")])
def test_a_change_of_scheme_or_port_is_a_change_of_host(
        change: Callable[[dict[str, Any]], None]) -> None:
    new = copy.deepcopy(swagger_doc())
    change(new)
    findings = breaking_changes(connector(swagger_doc()), connector(new))
    assert [f.rule for f in findings] == ["changed-host"]


def test_a_new_base_path_on_the_same_host_is_not_a_change_of_host() -> None:
    new = copy.deepcopy(swagger_doc())
    new["basePath"] = "/v2"
    assert breaking_changes(connector(swagger_doc()), connector(new)) == []


def test_every_rule_has_a_fixture() -> None:
    assert set(RULES) == set(CHANGES)


def test_parameter_becoming_required() -> None:
    old, new = swagger_doc(), swagger_doc()
    add_param(False)(old)
    add_param(True)(new)
    (finding,) = breaking_changes(connector(old), connector(new))
    assert (finding.rule, finding.pointer) == (
        "new-required-parameter", "/operations/GetTicket/parameters/expand")
