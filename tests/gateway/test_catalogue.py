"""gateway/catalogue.py: versions, unchanged re-imports, breaking-change refusal, tiers,
managed connectors and the shipped catalogue loaded on start, on both storage backends.

``widgets_spec`` and ``connector_count`` are shared with the HTTP and CLI tests.
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import importers
from gateway.catalogue import (
    BreakingChanges,
    ConnectorInUse,
    ManagedConnector,
    check_deletable,
    load_managed_catalogue,
    shipped_ids,
    store_import,
)
from gateway.services import Services, build_services
from gateway.settings import Settings
from gateway.store.tables import connector_versions, connectors
from tests.gateway.conftest import make_settings

pytestmark = pytest.mark.both_backends  # storage is what these tests test

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "config" / "connectors"
SHIPPED_IDS = ["feeds", "mail-relay", "weather", "webhooks"]


def widgets_spec(*, title: str = "Widget Store", tier: str | None = None,
                 extra_operation: bool = False, drop_list: bool = False,
                 limit_required: bool = False) -> dict[str, Any]:
    """A small, lint-clean Swagger 2.0 spec; the flags make the changes tests need."""
    spec: dict[str, Any] = {
        "swagger": "2.0",
        "info": {"title": title, "version": "1.0",
                 "description": "Widgets for tests: list them, read one, and count them."},
        "host": "api.widgets.test", "basePath": "/v1", "schemes": ["https"],
        "produces": ["application/json"],
        "securityDefinitions": {"key": {"type": "apiKey", "in": "header", "name": "X-Key"}},
        "security": [{"key": []}],
        "paths": {
            "/items": {"get": {
                "operationId": "ListItems", "summary": "List items",
                "description": "Lists the items.",
                "parameters": [{"name": "limit", "in": "query", "type": "integer",
                                "required": limit_required, "x-ms-summary": "Limit",
                                "description": "How many."}],
                "responses": {"200": {"description": "ok", "schema": {
                    "type": "array", "items": {"type": "object"}}}}}},
            "/items/{id}": {"get": {
                "operationId": "GetItem", "summary": "Get an item",
                "description": "Reads one item.",
                "parameters": [{"name": "id", "in": "path", "type": "string",
                                "required": True, "x-ms-summary": "Id",
                                "description": "The item."}],
                "responses": {"200": {"description": "ok", "schema": {"type": "object"}}}}},
        },
    }
    if tier is not None:
        spec["x-portway-tier"] = tier
    if extra_operation:
        spec["paths"]["/count"] = {"get": {
            "operationId": "CountItems", "summary": "Count items",
            "description": "Counts the items.",
            "responses": {"200": {"description": "ok", "schema": {"type": "integer"}}}}}
    if drop_list:
        del spec["paths"]["/items"]
    return spec


def imported(spec: dict[str, Any], connector_id: str = "widgets") -> importers.ImportResult:
    result = importers.import_document(json.dumps(spec).encode(), filename="spec.json",
                                       connector_id=connector_id)
    assert result.ok, result.findings
    return result


def connector_count(services: Services) -> tuple[int, int]:
    """(connectors, connector versions) stored."""
    with services.db.engine.connect() as conn:
        return (conn.execute(sa.select(sa.func.count()).select_from(connectors)).scalar_one(),
                conn.execute(sa.select(sa.func.count())
                             .select_from(connector_versions)).scalar_one())


def test_a_new_connector_is_version_one_custom_and_standard(services: Services) -> None:
    stored = store_import(services, imported(widgets_spec()))
    assert (stored.version, stored.unchanged, stored.breaking) == (1, False, [])
    current = services.connectors.get("widgets")
    assert (current.version, current.connector.kind, current.connector.tier) == (
        1, "custom", "standard")


def test_the_tier_comes_from_x_portway_tier(services: Services) -> None:
    store_import(services, imported(widgets_spec(tier="enterprise")))
    assert services.connectors.get("widgets").connector.tier == "enterprise"
    stored = store_import(services, imported(widgets_spec(tier="platinum"), "other"))
    assert services.connectors.get("other").connector.tier == "standard"
    assert [f.rule for f in stored.result.warnings] == ["tier-label"]


def test_the_network_comes_from_x_portway_network_and_filters_the_list(
        services: Services) -> None:
    private = widgets_spec()
    private["x-portway-network"] = "Private"
    store_import(services, imported(private))
    assert services.connectors.get("widgets").connector.network == "private"
    odd = widgets_spec()
    odd["x-portway-network"] = "dmz"
    stored = store_import(services, imported(odd, "other"))
    assert services.connectors.get("other").connector.network == "core"
    assert [f.rule for f in stored.result.warnings] == ["network-label"]
    assert [c["id"] for c in services.connectors.summaries(network="private")] == ["widgets"]
    assert [c["id"] for c in services.connectors.summaries(network="core")] == ["other"]


def test_an_unchanged_reimport_keeps_the_current_version(services: Services) -> None:
    store_import(services, imported(widgets_spec()))
    again = store_import(services, imported(widgets_spec()))
    assert (again.version, again.unchanged) == (1, True)
    assert connector_count(services) == (1, 1)


def test_a_compatible_change_is_a_new_version(services: Services) -> None:
    store_import(services, imported(widgets_spec()))
    stored = store_import(services, imported(widgets_spec(extra_operation=True)))
    assert (stored.version, stored.breaking) == (2, [])
    assert services.connectors.get("widgets", 1).connector.operation("CountItems") is None
    assert services.connectors.get("widgets").connector.operation("CountItems") is not None


@pytest.mark.parametrize("change, rule", [
    ({"drop_list": True}, "removed-operation"),
    ({"limit_required": True}, "new-required-parameter"),
])
def test_a_breaking_change_is_refused_and_nothing_stored(
        services: Services, change: dict[str, Any], rule: str) -> None:
    store_import(services, imported(widgets_spec()))
    with pytest.raises(BreakingChanges) as refused:
        store_import(services, imported(widgets_spec(**change)))
    assert refused.value.status_code == 409
    assert [d["rule"] for d in refused.value.details] == [rule]
    assert "ListItems" in refused.value.details[0]["message"]
    assert connector_count(services) == (1, 1)
    accepted = store_import(services, imported(widgets_spec(**change)), allow_breaking=True)
    assert accepted.version == 2
    assert [f.rule for f in accepted.breaking] == [rule]


def test_a_dry_run_checks_everything_and_stores_nothing(services: Services) -> None:
    assert store_import(services, imported(widgets_spec()), dry_run=True).version is None
    assert connector_count(services) == (0, 0)
    store_import(services, imported(widgets_spec()))
    with pytest.raises(BreakingChanges):
        store_import(services, imported(widgets_spec(drop_list=True)), dry_run=True)
    allowed = store_import(services, imported(widgets_spec(drop_list=True)), dry_run=True,
                           allow_breaking=True)
    assert (allowed.version, [f.rule for f in allowed.breaking]) == (
        None, ["removed-operation"])
    assert connector_count(services) == (1, 1)


def test_a_failed_import_stores_nothing(services: Services) -> None:
    failed = importers.import_document(b'{"swagger": "2.0", "info": ', filename="x.json",
                                       connector_id="broken")
    assert store_import(services, failed).version is None
    assert connector_count(services) == (0, 0)


def _settings_with_catalogue(tmp_path: Path, database_url: str, directory: Path) -> Settings:
    return make_settings(tmp_path, database_url, catalogue={"directory": str(directory)})


def test_the_shipped_catalogue_loads_as_managed_and_is_idempotent(
        tmp_path: Path, database_url: str) -> None:
    settings = _settings_with_catalogue(tmp_path, database_url, SHIPPED)
    services = build_services(settings)
    try:
        assert load_managed_catalogue(services) == len(SHIPPED_IDS)
        summaries = services.connectors.summaries()
        assert [s["id"] for s in summaries] == SHIPPED_IDS
        assert {s["kind"] for s in summaries} == {"managed"}
        assert {s["id"]: s["tier"] for s in summaries}["mail-relay"] == "enterprise"
        # A restart: nothing changed, so no new version.
        assert load_managed_catalogue(services) == 0
        assert connector_count(services) == (4, 4)
    finally:
        services.db.dispose()


def test_a_changed_shipped_connector_gets_a_new_version(tmp_path: Path,
                                                         database_url: str) -> None:
    folder = tmp_path / "catalogue"
    shutil.copytree(SHIPPED, folder)
    settings = _settings_with_catalogue(tmp_path, database_url, folder)
    services = build_services(settings)
    try:
        load_managed_catalogue(services)
        spec_file = folder / "weather" / "apiDefinition.swagger.json"
        spec = json.loads(spec_file.read_text())
        changed = copy.deepcopy(spec)
        # Even a breaking change: the team ships the catalogue on purpose.
        del changed["paths"]["/forecast/daily"]
        spec_file.write_text(json.dumps(changed))
        assert load_managed_catalogue(services) == 1
        assert [v["version"] for v in services.connectors.versions("weather")] == [1, 2]
        assert services.connectors.get("weather").connector.operation(
            "GetDailyForecast") is None
        assert services.connectors.versions("feeds")[-1]["version"] == 1
    finally:
        services.db.dispose()


def test_a_broken_shipped_connector_is_skipped(tmp_path: Path, database_url: str) -> None:
    folder = tmp_path / "catalogue"
    shutil.copytree(SHIPPED / "weather", folder / "weather")
    (folder / "broken").mkdir()
    (folder / "broken" / "broken.swagger.json").write_text('{"swagger": "2.0", ')
    services = build_services(_settings_with_catalogue(tmp_path, database_url, folder))
    try:
        assert load_managed_catalogue(services) == 1
        assert [s["id"] for s in services.connectors.summaries()] == ["weather"]
    finally:
        services.db.dispose()


def test_an_upload_cannot_replace_a_managed_connector(tmp_path: Path,
                                                      database_url: str) -> None:
    services = build_services(_settings_with_catalogue(tmp_path, database_url, SHIPPED))
    try:
        load_managed_catalogue(services)
        with pytest.raises(ManagedConnector):
            store_import(services, imported(widgets_spec(), "weather"))
        assert services.connectors.get("weather").connector.kind == "managed"
    finally:
        services.db.dispose()


def _connection(services: Services, name: str, connector_id: str = "widgets") -> None:
    services.connections.put(name=name, connector_id=connector_id, display_name=name,
                             tags={}, parameters={}, secrets={"api_key": "k-" + name},
                             status="Connected", status_reason="", created_by="owner")


def test_delete_is_refused_while_connections_use_the_connector(services: Services) -> None:
    store_import(services, imported(widgets_spec()))
    _connection(services, "beta")
    _connection(services, "alpha")
    with pytest.raises(ConnectorInUse) as refused:
        services.connectors.delete("widgets")
    assert refused.value.details == [{"connection": "alpha"}, {"connection": "beta"}]
    assert "'alpha'" in refused.value.message
    assert connector_count(services) == (1, 1)


def test_a_forced_delete_keeps_the_connections_in_error(services: Services) -> None:
    store_import(services, imported(widgets_spec()))
    _connection(services, "alpha")
    assert services.connectors.delete("widgets", force=True) == ["alpha"]
    assert connector_count(services) == (0, 0)
    kept = services.connections.get("alpha")
    assert (kept.status, kept.status_reason) == ("Error", "connector 'widgets' was deleted")
    assert services.connections.secrets("alpha") == {"api_key": "k-alpha"}
    # Uploading it again starts a new history.
    assert store_import(services, imported(widgets_spec())).version == 1


def test_a_managed_connector_can_be_deleted_only_once_retired(tmp_path: Path,
                                                               database_url: str) -> None:
    folder = tmp_path / "catalogue"
    shutil.copytree(SHIPPED, folder)
    services = build_services(_settings_with_catalogue(tmp_path, database_url, folder))
    try:
        load_managed_catalogue(services)
        weather = services.connectors.get("weather").connector
        with pytest.raises(ManagedConnector):
            check_deletable(services, weather)
        shutil.rmtree(folder / "weather")
        assert shipped_ids(services) == {"feeds", "mail-relay", "webhooks"}
        check_deletable(services, weather)
        # A restart keeps the retired connector: connections may still use it.
        assert load_managed_catalogue(services) == 0
        assert services.connectors.get("weather").connector.kind == "managed"
    finally:
        services.db.dispose()
