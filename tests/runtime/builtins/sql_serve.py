"""What the SQL example's end-to-end tests share: the example project in docs/examples,
its customers table on either backend, and counts of the runs the real ``portway serve``
started per customer row."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "new-customers-csv"
WORKFLOW = "NewCustomersToCsv"
TRIGGER = "When_a_customer_is_added"


def engine_for(url: str) -> sa.Engine:
    return sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))


def create_customers(url: str) -> None:
    """The example's table, from the example's own script."""
    script = "create-customers.postgresql.sql" if url.startswith("postgresql") \
        else "create-customers.sql"
    statement = "\n".join(line for line in (EXAMPLE / script).read_text().splitlines()
                          if not line.startswith("--"))
    engine = engine_for(url)
    with engine.begin() as conn:
        conn.execute(sa.text(statement))
    engine.dispose()


def add_customers(url: str, names: list[str]) -> None:
    engine = engine_for(url)
    with engine.begin() as conn:
        for name in names:
            conn.execute(sa.text('INSERT INTO "Customers" ("Name", "Email", "City") '
                                 "VALUES (:n, :e, 'Oslo')"),
                         {"n": name, "e": f"{name.lower()}@example.com"})
    engine.dispose()


def wait_until_watching(store_url: str, timeout: float = 60) -> None:
    """Until the trigger's first poll has noted where the table is (rows added before it
    do not fire, as in Logic Apps)."""
    engine = engine_for(store_url)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                state = conn.execute(sa.text(
                    "SELECT state FROM runtime_trigger_states WHERE workflow = :w"),
                    {"w": WORKFLOW}).scalar()
            if state and json.loads(state).get("provider", {}).get("started"):
                return
            time.sleep(0.1)
    finally:
        engine.dispose()
    raise AssertionError("the SQL trigger never polled")


def runs_per_customer(client: httpx.Client) -> dict[int, list[dict[str, Any]]]:
    """Every run of the example by the CustomerId its trigger fired with (all pages)."""
    found: dict[int, list[dict[str, Any]]] = {}
    url: str | None = f"/v1/workflows/{WORKFLOW}/runs"
    while url:
        page = client.get(url).json()
        for listed in page["value"]:
            run = client.get(f"/v1/runs/{listed['id']}").json()
            found.setdefault(run["trigger"]["outputs"]["body"]["CustomerId"], []).append(run)
        url = page.get("nextLink")
    return found


def wait_for_runs(client: httpx.Client, count: int, timeout: float = 90
                  ) -> dict[int, list[dict[str, Any]]]:
    """Until ``count`` customers have a finished run each (then a moment more, so a
    second run of one would show)."""
    deadline = time.monotonic() + timeout
    found: dict[int, list[dict[str, Any]]] = {}
    while time.monotonic() < deadline:
        found = runs_per_customer(client)
        done = [c for c, runs in found.items()
                if any(r["status"] not in ("Running", "Waiting") for r in runs)]
        if len(done) >= count:
            time.sleep(1.0)
            return runs_per_customer(client)
        time.sleep(0.3)
    raise AssertionError(f"{len(found)} of {count} customers have a run: {sorted(found)}")


def owners(store_url: str) -> list[tuple[Any, ...]]:
    """The store's role assignments, as a client of the store reads them."""
    engine = engine_for(store_url)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(sa.text(
            "SELECT principal, scope, role FROM role_assignments ORDER BY 1, 2"))]
    engine.dispose()
    return rows
