"""The seed's SQL example, as shipped in docs/examples/new-customers-csv, on the real
``portway serve``: deployed with ``portway workflows deploy``, each customer row added
starts one run, which reads the customer back and makes a CSV table of it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.runtime.builtins.sql_serve import (
    EXAMPLE,
    WORKFLOW,
    add_customers,
    create_customers,
    wait_for_runs,
    wait_until_watching,
)
from tests.runtime.cli.test_workflows_cli import _portway
from tests.support.servers import portway_process

pytestmark = pytest.mark.slow


def test_new_customers_become_csv_tables_one_run_each(tmp_path: Path) -> None:
    create_customers(f"sqlite:///{tmp_path / 'customers.db'}")  # the example's own name
    add_customers(f"sqlite:///{tmp_path / 'customers.db'}", ["Before"])
    # As docs/workflows.md runs it: SQLite files allowed beside where the server runs.
    env = {"PORTWAY_RUNTIME_SQL_SQLITE_ROOTS": ".", "PORTWAY_RUNTIME_TRIGGER_SECONDS": "0.2"}
    with portway_process(tmp_path, env) as (base, _):
        deployed = _portway(tmp_path, "workflows", "deploy", str(EXAMPLE), "--json")
        assert deployed.returncode == 0, deployed.stderr
        wait_until_watching(f"sqlite:///{tmp_path / 'var' / 'portway.db'}")
        add_customers(f"sqlite:///{tmp_path / 'customers.db'}", ["Ada", "Grace", "Linus"])
        token = (tmp_path / "var" / "owner.token").read_text().strip()
        with httpx.Client(base_url=base, headers={"authorization": f"Bearer {token}"},
                          timeout=30) as client:
            runs = wait_for_runs(client, 3)
            shown = _portway(tmp_path, "runs", "list", WORKFLOW)
    assert sorted(runs) == [2, 3, 4]  # "Before" (1) was there when the trigger started
    assert [len(each) for each in runs.values()] == [1, 1, 1]
    ada = runs[2][0]
    assert ada["status"] == "Succeeded"
    assert ada["trigger"]["outputs"]["body"] == {"CustomerId": 2, "Name": "Ada",
                                                 "Email": "ada@example.com", "City": "Oslo"}
    assert ada["actions"]["Get_the_customer"]["outputs"]["body"] == [[
        {"CustomerId": 2, "Name": "Ada", "Email": "ada@example.com", "City": "Oslo"}]]
    csv = ada["actions"]["Create_CSV_table"]["outputs"]["body"]
    assert csv.splitlines() == ["CustomerId,Name,Email,City", "2,Ada,ada@example.com,Oslo"]
    assert shown.returncode == 0
    log = (tmp_path / "portway.log").read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]
