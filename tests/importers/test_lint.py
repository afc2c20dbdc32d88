"""One fixture per certification rule, and a clean connector that breaks none."""

from __future__ import annotations

import json
from typing import Any

import pytest

from importers import Connector, import_document, lint, result_json
from importers.lint import RULES
from tests.importers.conftest import import_json, swagger_doc

CLEAN_PROPS = {"properties": {"publisher": "Ticket Desk Ltd", "iconBrandColor": "#123456",
                              "connectionParameters": {"api_key": {"type": "securestring"}}}}


def connector(doc: dict[str, Any], props: Any = None) -> Connector:
    c = import_json(doc, properties=props).connector
    assert c is not None
    return c


def rules_of(doc: dict[str, Any], props: Any = None, *, with_doc: bool = True) -> set[str]:
    return {f.rule for f in lint(connector(doc, props), doc if with_doc else None)}


def test_a_clean_connector_has_no_findings() -> None:
    doc = swagger_doc()
    assert lint(connector(doc, CLEAN_PROPS), doc) == []


def op(**fields: Any) -> dict[str, Any]:
    base = {"operationId": "Op", "summary": "Do it", "description": "Does it.",
            "responses": {"200": {"description": "ok", "schema": {"type": "object"}}}}
    base.update(fields)
    return base


CASES: dict[str, dict[str, Any]] = {
    "spec-schema": swagger_doc(schemes="https"),
    "title-missing": swagger_doc(info={"version": "1", "description": "x" * 40}),
    "title-length": swagger_doc(info={"title": "A Very Long Title For A Ticket Service",
                                      "version": "1", "description": "x" * 40}),
    "title-words": swagger_doc(info={"title": "Ticket API", "version": "1",
                                     "description": "x" * 40}),
    "description-length": swagger_doc(info={"title": "Tickets", "version": "1",
                                            "description": "short"}),
    "no-operations": swagger_doc(paths={}),
    "operation-id-missing": swagger_doc(paths={"/a": {"get": {
        k: v for k, v in op().items() if k != "operationId"}}}),
    "operation-id-unique": swagger_doc(paths={"/a": {"get": op()}, "/b": {"get": op()}}),
    "summary-missing": swagger_doc(paths={"/a": {"get": op(summary="")}}),
    "summary-length": swagger_doc(paths={"/a": {"get": op(summary="s" * 81)}}),
    "summary-punctuation": swagger_doc(paths={"/a": {"get": op(summary="Do it.")}}),
    "operation-description": swagger_doc(paths={"/a": {"get": op(description="")}}),
    "parameter-summary": swagger_doc(paths={"/a": {"get": op(parameters=[
        {"name": "q", "in": "query", "type": "string"}])}}),
    "internal-required-default": swagger_doc(paths={"/a": {"get": op(parameters=[
        {"name": "v", "in": "query", "type": "string", "required": True,
         "x-ms-visibility": "internal"}])}}),
    "path-parameter": swagger_doc(paths={"/a/{id}": {"get": op()}}),
    "response-schema": swagger_doc(paths={"/a": {"get": op(responses={
        "200": {"description": "ok"}})}}),
    "webhook-notification-url": swagger_doc(paths={
        "/hook": {"x-ms-notification-content": {"schema": {"type": "object"}},
                  "post": op(**{"x-ms-trigger": "single", "responses": {"201": {
                      "description": "c", "headers": {"Location": {"type": "string"}}}}})},
        "/hook/{id}": {"delete": op(operationId="Del", parameters=[
            {"name": "id", "in": "path", "type": "string", "x-ms-summary": "Id"}],
            responses={"200": {"description": "ok"}})}}),
    "webhook-location": swagger_doc(paths={"/hook": {"post": op(**{
        "x-ms-trigger": "single", "parameters": [
            {"name": "cb", "in": "query", "type": "string", "x-ms-notification-url": True,
             "x-ms-summary": "Callback"}],
        "responses": {"200": {"description": "ok"}}})},
        "/x": {"delete": op(operationId="Del")}}),
    "webhook-location-header": swagger_doc(paths={"/hook": {"post": op(**{
        "x-ms-trigger": "single", "parameters": [
            {"name": "cb", "in": "query", "type": "string", "x-ms-notification-url": True,
             "x-ms-summary": "Callback"}],
        "responses": {"201": {"description": "created"}}})},
        "/x": {"delete": op(operationId="Del")}}),
    "webhook-delete": swagger_doc(paths={"/hook": {"post": op(**{
        "x-ms-trigger": "single", "parameters": [
            {"name": "cb", "in": "query", "type": "string", "x-ms-notification-url": True,
             "x-ms-summary": "Callback"}],
        "responses": {"201": {"description": "c",
                              "headers": {"location": {"type": "string"}}}}})}}),
    "polling-trigger-response": swagger_doc(paths={"/poll": {"get": op(**{
        "x-ms-trigger": "batch", "responses": {"200": {"description": "ok"}}})}}),
    "placeholder-host": swagger_doc(host="contoso.com"),
    "insecure-scheme": swagger_doc(schemes=["http"]),
    "no-auth": swagger_doc(securityDefinitions={}),
    "unknown-extension": swagger_doc(paths={"/a": {"get": op(**{"x-ms-summmary": "x"})}}),
    "example-and-examples": {"openapi": "3.1.0", "info": {"title": "T", "version": "1"},
                             "components": {"parameters": {"p": {
                                 "name": "p", "in": "header", "schema": {}, "example": 1,
                                 "examples": {"a": {"value": 1}}}}}},
    "link-fields": {"openapi": "3.1.0", "info": {"title": "T", "version": "1"},
                    "components": {"links": {"l": {"operationId": "x", "body": {}}}}},
    "title-missing-in-document": swagger_doc(info={"version": "1", "description": "x" * 40}),
}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_each_rule_fires_on_its_fixture(rule: str) -> None:
    assert rule.removesuffix("-in-document") in rules_of(CASES[rule])


def test_a_title_equal_to_the_id_is_not_missing() -> None:
    doc = swagger_doc(info={"title": "demo", "version": "1", "description": "x" * 40})
    assert "title-missing" not in rules_of(doc)


def test_links_in_responses_and_properties_named_links() -> None:
    doc = {"openapi": "3.0.3", "info": {"title": "T", "version": "1"}, "paths": {"/a": {"get": {
        "operationId": "a", "responses": {"200": {
            "description": "ok", "links": {"next": {"operationId": "a", "href": "x"}},
            "content": {"application/json": {"schema": {"type": "object", "properties": {
                "links": {"type": "object", "properties": {"self": {"type": "string"}}}}}}}}},
    }}}}
    found = [f for f in lint(connector(doc), doc) if f.rule == "link-fields"]
    assert [f.pointer for f in found] == ["/paths/~1a/get/responses/200/links/next/href"]


def test_properties_rules() -> None:
    props = {"properties": {"iconBrandColor": "#da3b01", "connectionParameters": {
        "api_key": {"type": "string"}}}}
    found = rules_of(swagger_doc(), props)
    assert {"brand-color", "publisher", "secret-parameter-type"} <= found


def test_placeholder_host_is_fine_with_a_dynamic_host_policy() -> None:
    props = {"properties": {**CLEAN_PROPS["properties"], "policyTemplateInstances": [
        {"templateId": "dynamichosturl", "parameters": {}}]}}
    assert "placeholder-host" not in rules_of(swagger_doc(host="contoso.com"), props)


def test_every_rule_has_a_fixture_and_a_severity() -> None:
    assert set(RULES) == {c.removesuffix("-in-document") for c in CASES} | {
        "brand-color", "publisher", "secret-parameter-type"}
    for severity, meaning in RULES.values():
        assert severity in ("error", "warning", "info") and meaning


def test_findings_carry_pointers() -> None:
    doc = CASES["summary-missing"]
    (finding,) = [f for f in lint(connector(doc), doc) if f.rule == "summary-missing"]
    assert (finding.severity, finding.pointer) == ("error", "/paths/~1a/get/summary")


def test_validate_runs_the_lint_with_the_import() -> None:
    doc = CASES["title-words"]
    plain = import_document(json.dumps(doc).encode(), filename="t.json", connector_id="t")
    assert plain.ok
    checked = import_document(json.dumps(doc).encode(), filename="t.json", connector_id="t",
                              with_lint=True)
    assert not checked.ok
    assert [f.rule for f in checked.errors] == ["title-words"]
    line = result_json(checked)
    assert line["status"] == "failed" and line["connector"] == "t"
