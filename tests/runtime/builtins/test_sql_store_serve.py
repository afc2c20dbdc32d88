"""A deployed workflow cannot reach Portway's own store through the SQL connector, on the
real ``portway serve``: not by naming ``var/portway.db`` (even with the server's folder in
``[runtime] sql_sqlite_roots``), not by ``ATTACH`` or ``VACUUM INTO`` from a SQLite file it
may open, not by a file outside the roots; on PostgreSQL, not through another port in
front of the store's server, not as a superuser on another database of it."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tests.runtime.builtins.conftest import execute
from tests.runtime.builtins.sql_serve import engine_for, owners
from tests.runtime.cli.test_workflows_cli import _portway
from tests.support.databases import as_superuser, create_owned_database, drop_owned_database
from tests.support.forwarder import tcp_forwarder
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


def project(root: Path, connections: dict[str, str], actions: dict[str, Any]) -> Path:
    """A contributor's project: one workflow whose actions use these SQL connections."""
    folder = root / "project"
    _write(folder / "host.json", {"version": "2.0"})
    _write(folder / "connections.json", {"serviceProviderConnections": {
        name: {"serviceProvider": {"id": "/serviceProviders/sql"},
               "parameterValues": {"connectionString": text}}
        for name, text in connections.items()}})
    _write(folder / WORKFLOW / "workflow.json", {"kind": "Stateful", "definition": {
        "$schema": SCHEMA, "contentVersion": "1.0.0.0",
        "triggers": {"manual": {"type": "Request", "kind": "Http", "inputs": {}}},
        "actions": actions}})
    return folder


def run_once(workdir: Path, env: dict[str, str], folder: Path, store_url: str
             ) -> tuple[dict[str, Any], list[tuple[Any, ...]]]:
    """Deploy the project on the real ``portway serve``, call its trigger once; the
    finished run's record, and the store's role assignments before the run."""
    with portway_process(workdir, env) as (base, _):
        deployed = _portway(workdir, "workflows", "deploy", str(folder), "--url", base,
                            "--token-file", "var/owner.token", "--json")
        assert deployed.returncode == 0, deployed.stderr
        before = owners(store_url)
        token = (workdir / "var" / "owner.token").read_text().strip()
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
    log = (workdir / "portway.log").read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]
    return dict(run), before


def outcomes(run: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    return {name: (action["status"], action.get("code"))
            for name, action in run["actions"].items()}


def test_a_deployed_workflow_reaches_only_the_files_it_is_allowed(tmp_path: Path) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-outside.db"
    for path in (tmp_path / "customers.db", outside):
        engine = engine_for(f"sqlite:///{path}")
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE Customers (Name TEXT)"))
        engine.dispose()
    env = {"PORTWAY_RUNTIME_SQL_SQLITE_ROOTS": "."}
    store_url = f"sqlite:///{tmp_path / 'var' / 'portway.db'}"
    folder = project(tmp_path, {"store": "sqlite:///var/portway.db",
                                "customers": "Data Source=customers.db",
                                "outside": f"sqlite:///{outside}"}, {
        "Make_me_owner": _sql("store", "insertRow", tableName="role_assignments",
                              setColumns=OWNER_ROW),
        "Read_the_definitions": _sql("store", "executeQuery",
                                     query="SELECT * FROM workflows"),
        "Attach_the_store": _sql("customers", "executeQuery",
                                 query="ATTACH DATABASE 'var/portway.db' AS store"),
        "Copy_the_store": _sql("customers", "executeQuery", query="VACUUM INTO 'copy.db'"),
        "Open_a_file_outside": _sql("outside", "getTables"),
        "Read_the_customers": _sql("customers", "getTables")})
    try:
        run, before = run_once(tmp_path, env, folder, store_url)
    finally:
        outside.unlink(missing_ok=True)
    actions = run["actions"]
    assert outcomes(run) == {
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


def test_a_deployed_workflow_reaches_no_postgresql_store_by_another_route(
        tmp_path: Path, postgres_server_url: str) -> None:
    """The store on PostgreSQL: reached through another port (a forwarder standing in for
    a pooler), or from another database of its server as a superuser."""
    names = {kind: f"{kind}_{uuid.uuid4().hex[:12]}" for kind in ("s", "w", "x")}
    urls = {kind: create_owned_database(postgres_server_url, name)
            for kind, name in names.items()}
    as_superuser(postgres_server_url, f"ALTER ROLE {names['x']} SUPERUSER")
    execute(urls["w"], 'CREATE TABLE "Customers" ("Name" TEXT)')
    env = {"PORTWAY_DATABASE_URL": urls["s"], "PORTWAY_EGRESS_ALLOW": "127.0.0.1/32"}
    workflow = make_url(urls["w"])
    try:
        with tcp_forwarder("127.0.0.1", int(workflow.port or 5432)) as port:
            around = workflow.set(port=port)
            folder = project(tmp_path, {
                "store": make_url(urls["s"]).set(port=port).render_as_string(
                    hide_password=False),
                "store_as_another": around.set(database=names["s"]).render_as_string(
                    hide_password=False),
                "powerful": urls["x"],
                "customers": around.render_as_string(hide_password=False)}, {
                "Make_me_owner": _sql("store", "insertRow", tableName="role_assignments",
                                      setColumns=OWNER_ROW),
                "List_the_stores_tables": _sql("store_as_another", "getTables"),
                "Read_a_server_file": _sql("powerful", "executeQuery",
                                           query="SELECT pg_read_file('PG_VERSION') AS v"),
                "Read_the_customers": _sql("customers", "getTables")})
            run, before = run_once(tmp_path, env, folder, urls["s"])
        assert outcomes(run) == {
            "Make_me_owner": ("Failed", "StoreDatabaseNotAllowed"),
            "List_the_stores_tables": ("Failed", "StoreDatabaseNotAllowed"),
            "Read_a_server_file": ("Failed", "SqlRoleNotAllowed"),
            "Read_the_customers": ("Succeeded", "OK"),
        }, json.dumps(run["actions"], indent=1)[:4000]
        assert owners(urls["s"]) == before
        assert ("mallory", "*", "owner") not in before
        shown = json.dumps(run)
        assert all(str(make_url(u).password) not in shown for u in urls.values())
    finally:
        for name in names.values():
            drop_owned_database(postgres_server_url, name)
