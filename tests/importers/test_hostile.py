"""Malformed and hostile specs never crash the importer: they import or fail cleanly."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from importers import Connector, ImportResult, import_document, lint
from tests.importers.conftest import swagger_doc

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0", "info": {"title": "t", "version": "1"},
    "servers": [{"url": "https://x.io/{v}", "variables": {"v": {"default": "1"}}}],
    "components": {"schemas": {"A": {"type": "object", "properties": {
        "b": {"$ref": "#/components/schemas/A"}}}},
        "securitySchemes": {"k": {"type": "apiKey", "in": "header", "name": "K"}}},
    "paths": {"/a/{id}": {"parameters": [{"name": "id", "in": "path", "schema": {}}],
                          "post": {"operationId": "A", "requestBody": {"content": {
                              "application/json": {"schema": {"$ref": "#/components/schemas/A"}}
                          }}, "responses": {"200": {"description": "ok"}}}}},
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
hostile_refs = st.sampled_from([
    "#", "#/", "#/definitions", "#/definitions/Nope", "#/paths", "nope.json#/a", "#a/b",
    "#/definitions/Ticket/properties", "http://169.254.169.254/latest", "#/paths/~1tickets~1{id}",
    "#/components/schemas/A", "../../etc/passwd", "#/%7E%", "",
]) | st.text(max_size=12)


def check(result: ImportResult) -> None:
    assert isinstance(result, ImportResult)
    assert not [f for f in result.findings if f.rule == "importer-bug"], result.findings
    if result.connector is not None:
        # A definition is plain data: it round-trips through strict JSON unchanged.
        text = json.dumps(result.connector.model_dump(mode="json"), allow_nan=False)
        assert Connector.model_validate_json(text) == result.connector
        lint(result.connector)


def paths_of(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += paths_of(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += paths_of(v, (*prefix, i))
    return out


def replace(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return doc


def mutated(base: dict[str, Any]) -> st.SearchStrategy[Any]:
    paths = paths_of(base)
    return st.lists(st.tuples(st.sampled_from(paths), json_values | hostile_refs.map(
        lambda r: {"$ref": r})), min_size=1, max_size=4).map(
        lambda edits: _apply(base, edits))


def _apply(base: dict[str, Any], edits: list[tuple[tuple[Any, ...], Any]]) -> Any:
    doc: Any = copy.deepcopy(base)
    for path, value in edits:
        try:
            doc = replace(doc, path, value)
        except (KeyError, IndexError, TypeError):
            continue
    return doc


SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(json_values)
def test_random_json_documents(doc: Any) -> None:
    check(import_document(json.dumps(doc).encode(), filename="r.json", connector_id="r"))


@SETTINGS
@given(st.binary(max_size=200))
def test_random_bytes(data: bytes) -> None:
    check(import_document(data, filename="r.json", connector_id="r"))


def test_yaml_types_that_json_lacks_are_read_as_json() -> None:
    text = (b"openapi: 3.0.0\ninfo: {title: t, version: 1}\nx-bin: !!binary aGVs bG8=\n"
            b"x-set: !!set {a: null}\nx-inf: .inf\nx-omap: !!omap [{a: 1}, {b: 2}]\n"
            b"paths: {}\n")
    result = import_document(text, filename="y.yaml", connector_id="y")
    check(result)
    assert result.connector is not None
    assert {k: v for k, v in result.connector.metadata.items() if k.startswith("x-")} == {
        "x-bin": "aGVsbG8=", "x-set": ["a"], "x-inf": ".inf", "x-omap": {"a": 1, "b": 2}}


@SETTINGS
@given(st.text(max_size=300))
def test_random_yaml_text(text: str) -> None:
    check(import_document(text.encode(), filename="r.yaml", connector_id="r"))


@SETTINGS
@given(mutated(swagger_doc()))
def test_swagger_with_wrong_types_and_hostile_refs(doc: Any) -> None:
    check(import_document(json.dumps(doc).encode(), filename="s.json", connector_id="s"))


@SETTINGS
@given(mutated(OPENAPI))
def test_openapi_with_wrong_types_and_hostile_refs(doc: Any) -> None:
    check(import_document(json.dumps(doc).encode(), filename="o.json", connector_id="o"))


@SETTINGS
@given(mutated({"properties": {
    "connectionParameters": {"k": {"type": "securestring", "uiDefinition": {}}},
    "connectionParameterSets": {"values": [{"name": "a", "parameters": {}}]},
    "policyTemplateInstances": [{"templateId": "setheader", "parameters": {}}],
    "scriptOperations": ["GetTicket"]}}))
def test_hostile_api_properties(props: Any) -> None:
    check(import_document(json.dumps(swagger_doc()).encode(), filename="s.json",
                          connector_id="s", properties=json.dumps(props).encode()))


def test_ref_cycles_and_self_references() -> None:
    doc = swagger_doc(
        parameters={"p": {"$ref": "#/parameters/q"}, "q": {"$ref": "#/parameters/p"}},
        responses={"r": {"$ref": "#/responses/r"}},
        definitions={"A": {"$ref": "#/definitions/B"}, "B": {"$ref": "#/definitions/A"},
                     "Root": {"$ref": "#"}},
        paths={"/a": {"$ref": "#/paths/~1a"}, "/b": {"get": {
            "operationId": "B", "parameters": [{"$ref": "#/parameters/p"}],
            "responses": {"200": {"$ref": "#/responses/r"},
                          "201": {"description": "x", "schema": {"$ref": "#/definitions/A"}},
                          "202": {"description": "x", "schema": {"$ref": "#"}}}}}})
    result = import_document(json.dumps(doc).encode(), filename="c.json", connector_id="c")
    check(result)
    assert result.ok
    assert {f.rule for f in result.findings} == {"unresolved-ref"}


def test_exponential_ref_fan_out_is_refused() -> None:
    definitions = {f"D{i}": {"type": "object", "properties": {
        "a": {"$ref": f"#/definitions/D{i + 1}"}, "b": {"$ref": f"#/definitions/D{i + 1}"}}}
        for i in range(40)}
    definitions["D40"] = {"type": "string"}
    doc = swagger_doc(definitions=definitions, paths={"/a": {"get": {
        "operationId": "A", "responses": {"200": {"description": "ok",
                                                  "schema": {"$ref": "#/definitions/D0"}}}}}})
    result = import_document(json.dumps(doc).encode(), filename="f.json", connector_id="f")
    assert [f.rule for f in result.errors] == ["SpecTooLarge"]


def test_huge_strings_and_deep_nesting() -> None:
    doc = swagger_doc(info={"title": "t" * 2_000_000, "version": "1"})
    check(import_document(json.dumps(doc).encode(), filename="h.json", connector_id="h"))
    deep: Any = {"type": "string"}
    for _ in range(150):
        deep = {"type": "object", "properties": {"x": deep}}
    doc = swagger_doc(definitions={"Deep": deep})
    check(import_document(json.dumps(doc).encode(), filename="d.json", connector_id="d"))
    nested = b'{"swagger": "2.0", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    result = import_document(nested, filename="n.json", connector_id="n")
    assert [f.rule for f in result.errors] == ["SpecTooLarge"]
