"""A deployed workflow cannot reach Portway's own store through the SQL connector, on the
real ``portway serve``: not by naming ``var/portway.db`` (even with the server's folder in
``[runtime] sql_sqlite_roots``), not by ``ATTACH`` or ``VACUUM INTO`` from a SQLite file it
may open, not by a file outside the roots."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.runtime.builtins.sql_serve import engine_for, owners
from tests.runtime.cli.test_workflows_cli import _portway
from tests.support.servers import portway_process

pytestmark = pytest.mark.slow

SCHEMA = ("https://schema.management.azure.com/providers/Microsoft.Logic/schemas/"
          "2016-06-01/workflowdefinition.json#")
WORKFLOW = "Escalate"
OWNER_ROW = {"principal": "mallory", "scope": "*", "role": "owner"}


def _write(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value), encoding="utf-8")


def _sql(connection: str, operation: str, **parameters: Any) -> dict[str, Any]:
    return {"type": "ServiceProvider", "runAfter": {}, "inputs": {
        "parameters": parameters, "serviceProviderConfiguration": {
            "connectionName": connection, "operationId": operation,
            "serviceProviderId": "/serviceProviders/sql"}}}


def project(root: Path, outside: Path) -> Path:
    """A contributor's project: every action tries another way into the store."""
    folder = root / "project"
    _write(folder / "host.json", {"version": "2.0"})
    _write(folder / "connections.json", {"serviceProviderConnections": {
        name: {"serviceProvider": {"id": "/serviceProviders/sql"},
               "parameterValues": {"connectionString": text}}
        for name, text in {"store": "sqlite:///var/portway.db",
                           "customers": "Data Source=customers.db",
                           "outside": f"sqlite:///{outside}"}.items()}})
    _write(folder / WORKFLOW / "workflow.json", {"kind": "Stateful", "definition": {
        "$schema": SCHEMA, "contentVersion": "1.0.0.0",
        "triggers": {"manual": {"type": "Request", "kind": "Http", "inputs": {}}},
        "actions": {
            "Make_me_owner": _sql("store", "insertRow", tableName="role_assignments",
                                  setColumns=OWNER_ROW),
            "Read_the_definitions": _sql("store", "executeQuery",
                                         query="SELECT * FROM workflows"),
            "Attach_the_store": _sql("customers", "executeQuery",
                                     query="ATTACH DATABASE 'var/portway.db' AS store"),
            "Copy_the_store": _sql("customers", "executeQuery",
                                   query="VACUUM INTO 'copy.db'"),
            "Open_a_file_outside": _sql("outside", "getTables"),
            "Read_the_customers": _sql("customers", "getTables")}}})
    return folder


def test_a_deployed_workflow_reaches_only_the_files_it_is_allowed(tmp_path: Path) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-outside.db"
    for path in (tmp_path / "customers.db", outside):
        engine = engine_for(f"sqlite:///{path}")
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE Customers (Name TEXT)"))
        engine.dispose()
    env = {"PORTWAY_RUNTIME_SQL_SQLITE_ROOTS": "."}
    store_url = f"sqlite:///{tmp_path / 'var' / 'portway.db'}"
    try:
        with portway_process(tmp_path, env) as (base, _):
            deployed = _portway(tmp_path, "workflows", "deploy",
                                str(project(tmp_path, outside)), "--json")
            assert deployed.returncode == 0, deployed.stderr
            before = owners(store_url)
            token = (tmp_path / "var" / "owner.token").read_text().strip()
            with httpx.Client(base_url=base, headers={"authorization": f"Bearer {token}"},
                              timeout=30) as client:
                url = client.post(f"/v1/workflows/{WORKFLOW}/triggers/manual/callback-url"
                                  ).json()["value"]
                started = httpx.post(url, json={}, timeout=30)
                assert started.status_code == 202, started.text
                run_id = started.headers["x-ms-workflow-run-id"]
                deadline = time.monotonic() + 60
                while (run := client.get(f"/v1/runs/{run_id}").json())["status"] in (
                        "Running", "Waiting") and time.monotonic() < deadline:
                    time.sleep(0.2)
    finally:
        outside.unlink(missing_ok=True)
    actions = run["actions"]
    codes = {name: (action["status"], action.get("code")) for name, action in actions.items()}
    assert codes == {
        "Make_me_owner": ("Failed", "StoreDatabaseNotAllowed"),
        "Read_the_definitions": ("Failed", "StoreDatabaseNotAllowed"),
        "Attach_the_store": ("Failed", "SqlOperationNotSupported"),
        "Copy_the_store": ("Failed", "SqlOperationNotSupported"),
        "Open_a_file_outside": ("Failed", "SqliteFileNotAllowed"),
        "Read_the_customers": ("Succeeded", "OK"),
    }, json.dumps(actions, indent=1)[:4000]
    assert actions["Read_the_customers"]["outputs"]["body"] == [
        {"fullName": "Customers", "displayName": "Customers"}]
    assert owners(store_url) == before
    assert ("mallory", "*", "owner") not in before
    assert not (tmp_path / "copy.db").exists()
    log = (tmp_path / "portway.log").read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]
