"""The catalogue in a browser: search, filters, paging, a connector's page, uploads
with findings and breaking changes, and a hostile spec rendered inert."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from importers import Connector, Operation
from tests.portal.conftest import Portal, shot, sign_in

pytestmark = pytest.mark.browser


def swagger(title: str = "Widget Store", *, extra: bool = True, description: str = "Widgets.",
            **top: Any) -> dict[str, Any]:
    """A small Swagger 2.0 spec; ``extra`` adds a second operation."""
    paths: dict[str, Any] = {"/items/{id}": {"get": {
        "operationId": "GetItem", "summary": "Read an item", "description": description,
        "parameters": [{"name": "id", "in": "path", "required": True, "type": "string"}],
        "responses": {"200": {"description": "the item", "schema": {
            "type": "object", "properties": {"id": {"type": "string"}}}}}}}}
    if extra:
        paths["/items"] = {"get": {"operationId": "ListItems", "summary": "List items",
                                   "responses": {"200": {"description": "ok"}}}}
    return {"swagger": "2.0", "info": {"title": title, "version": "1.0",
                                       "description": description},
            "host": "widgets.example.com", "basePath": "/v1", "schemes": ["https"],
            "paths": paths, **top}


def upload_file(page: Any, portal: Portal, tmp_path: Path, connector_id: str,
                name: str, data: bytes) -> None:
    page.goto(portal.url + "/portal/upload")
    page.fill("#connector", connector_id)
    target = tmp_path / name
    target.write_bytes(data)
    page.set_input_files("#file", str(target))
    page.click("#upload button[type=submit]")


def test_search_filter_and_page_through_the_catalogue(portal: Portal, page: Any) -> None:
    for number in range(23):
        portal.services.connectors.save(Connector(
            id=f"bulk-{number:02d}", display_name=f"Bulk {number:02d}", source_format="openapi3.0",
            tier="enterprise" if number % 2 else "standard",
            network="private" if number == 7 else "core",
            operations=[Operation(operation_id="Op", method="GET", path="/")]), source="tests")
    sign_in(page, portal)
    rows = page.locator("#connectors tr")
    assert rows.count() == 21  # the header and one page of 20
    page.click("a[rel=next]")
    assert page.locator("#connectors tr").count() > 1
    assert "page 2 of" in page.content()
    page.goto(portal.url + "/portal/catalogue")
    page.fill("#q", "bulk 0")
    page.select_option("#tier", "enterprise")
    page.click(".filters button[type=submit]")
    names = page.locator("#connectors td:first-child a").all_inner_texts()
    assert names == ["Bulk 01", "Bulk 03", "Bulk 05", "Bulk 07", "Bulk 09"]
    page.goto(portal.url + "/portal/catalogue?network=private")
    assert page.locator("#connectors td:first-child a").all_inner_texts() == ["Bulk 07"]
    page.goto(portal.url + "/portal/catalogue?q=keyed")
    shot(page, "catalogue")
    assert page.locator("#connectors td:first-child a").all_inner_texts() == ["keyed"]


def test_an_upload_shows_its_findings_then_publishes(portal: Portal, page: Any,
                                                     tmp_path: Path) -> None:
    sign_in(page, portal)
    spec = swagger(description="")  # no descriptions: the lint has things to say
    upload_file(page, portal, tmp_path, "widgets", "widgets.json", json.dumps(spec).encode())
    findings = page.locator("table.findings").first
    assert findings.locator("tr").count() > 1
    shot(page, "upload-findings")
    assert portal.services.connectors.current_version("widgets") is None  # nothing yet
    page.click("#publish button[type=submit]")
    page.wait_for_url("**/portal/connectors/widgets")
    assert page.locator("#title").inner_text() == "Widget Store"
    assert portal.services.connectors.current_version("widgets") == 1


def test_a_breaking_change_needs_an_explicit_confirmation(portal: Portal, page: Any,
                                                          tmp_path: Path) -> None:
    sign_in(page, portal)
    upload_file(page, portal, tmp_path, "gadgets", "v1.json", json.dumps(swagger()).encode())
    page.click("#publish button[type=submit]")
    page.wait_for_url("**/portal/connectors/gadgets")
    # Version 2 drops ListItems: callers of it would break.
    upload_file(page, portal, tmp_path, "gadgets", "v2.yaml",
                json.dumps(swagger(extra=False)).encode())
    assert "This upload breaks callers" in page.content()
    assert "removed-operation" in page.locator("table.findings").last.inner_text()
    shot(page, "upload-breaking")
    page.click("#publish button[type=submit]")  # without ticking the box
    assert "BreakingChanges" in page.locator("[role=alert]").inner_text()
    assert portal.services.connectors.current_version("gadgets") == 1
    page.check("input[name=confirm]")
    page.click("#publish button[type=submit]")
    page.wait_for_url("**/portal/connectors/gadgets")
    assert portal.services.connectors.current_version("gadgets") == 2
    versions = page.locator("#versions").inner_text()
    assert "removed operation ListItems" in versions and "first version" in versions


def test_a_connectors_page_shows_operations_schemas_parameters_and_versions(
        portal: Portal, page: Any, tmp_path: Path) -> None:
    sign_in(page, portal)
    upload_file(page, portal, tmp_path, "shown", "shown.json", json.dumps(swagger()).encode())
    page.click("#publish button[type=submit]")
    page.wait_for_url("**/portal/connectors/shown")
    operation = page.locator("#op-GetItem")
    assert "GET /items/{id} · GetItem" in operation.locator("h3").inner_text()
    assert "Read an item" in operation.inner_text()
    operation.locator("details summary").first.click()
    assert '"id"' in operation.locator("pre").first.inner_text()  # the response schema
    page.goto(portal.url + "/portal/connectors/keyed")
    parameters = page.content()
    assert "api_key" in parameters and "securestring" in parameters and "region" in parameters
    shot(page, "connector")


def test_a_power_platform_folder_uploads_as_a_zip(portal: Portal, page: Any,
                                                  tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zipped/apiDefinition.swagger.json", json.dumps(swagger("Zipped")))
        archive.writestr("zipped/apiProperties.json", json.dumps({"properties": {
            "connectionParameters": {"api_key": {"type": "securestring", "uiDefinition": {
                "displayName": "API key", "description": "the key"}}}}}))
    sign_in(page, portal)
    upload_file(page, portal, tmp_path, "zipped", "zipped.zip", buffer.getvalue())
    page.click("#publish button[type=submit]")
    page.wait_for_url("**/portal/connectors/zipped")
    assert page.locator("#title").inner_text() == "Zipped"
    stored = portal.services.connectors.get("zipped").connector
    assert [p.name for p in stored.connection_parameters] == ["api_key"]


def test_a_broken_upload_says_what_is_wrong_and_stores_nothing(portal: Portal, page: Any,
                                                               tmp_path: Path) -> None:
    sign_in(page, portal)
    upload_file(page, portal, tmp_path, "broken", "broken.json", b'{"swagger": "2.0", ')
    assert "InvalidSpec" in page.locator("[role=alert]").inner_text()
    assert page.locator("#publish").count() == 0
    assert portal.services.connectors.current_version("broken") is None


def test_an_upload_by_url_goes_through_the_egress_guard(portal: Portal, page: Any) -> None:
    sign_in(page, portal)
    page.goto(portal.url + "/portal/upload")
    page.fill("#connector", "fetched")
    page.fill("#url", "http://169.254.169.254/latest/meta-data/spec.json")
    page.click("#upload button[type=submit]")
    assert "EgressDenied" in page.locator("[role=alert]").inner_text()
    # A reader may check a file, but does not make the gateway fetch anything.
    page.click("text=Sign out")
    sign_in(page, portal, portal.token("ursula", "reader"))
    page.goto(portal.url + "/portal/upload")
    page.fill("#connector", "fetched")
    page.fill("#url", portal.upstream.url + "/spec.json")
    before = len(portal.upstream.seen)
    page.click("#upload button[type=submit]")
    assert "needs the contributor role" in page.locator("[role=alert]").inner_text()
    assert len(portal.upstream.seen) == before


HOSTILE = "<script>window.__pwned = 1; alert('title')</script><img src=x onerror=alert(2)>"


def test_a_hostile_spec_renders_inert(portal: Portal, page: Any, tmp_path: Path) -> None:
    description = ('<a href="javascript:alert(3)">click</a> <b onmouseover=alert(4)>bold</b>'
                   '<iframe src="javascript:alert(5)"></iframe>')
    spec = swagger(HOSTILE, description=description, **{"x-ms-connector-metadata": [
        {"propertyName": "Website", "propertyValue": "javascript:alert(6)"},
        {"propertyName": "Privacy policy", "propertyValue": "https://example.com/privacy"}]})
    sign_in(page, portal)
    upload_file(page, portal, tmp_path, "hostile", "hostile.json", json.dumps(spec).encode())
    page.click("#publish button[type=submit]")
    page.wait_for_url("**/portal/connectors/hostile")
    page.locator("#op-GetItem").hover()
    # The text is shown as text, nothing of it became markup, and no script ran.
    assert page.locator("#title").inner_text() == HOSTILE
    assert description in page.locator("main").inner_text()
    assert page.locator("main script, main img, main iframe, main b").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    assert page.locator("a[href='https://example.com/privacy']").count() == 1
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.dialogs == []
    page.goto(portal.url + "/portal/catalogue?q=hostile")
    assert HOSTILE in page.locator("#connectors").inner_text()
    assert page.locator("main script, main img").count() == 0
    assert page.dialogs == []
