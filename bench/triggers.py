"""Trigger benchmarks.

Run: ``.venv/bin/python bench/triggers.py [--rows N]``.

SQL row → run start (``sql_row_to_run``): the seed's SQL example
(``docs/examples/new-customers-csv``, ``whenARowIsInserted`` every second, Logic Apps'
finest recurrence) deployed to the real ``portway serve`` on SQLite; rows are added one at
a time at random moments, and each row's latency is its run's ``startTime`` minus the
moment its insert committed, p50 and p99 over a bounded number of rows. The reference, in
the same run over the same rows: a bare loop that polls the same table every second with
sqlite3 and notes when it first sees each row — the floor the one-second recurrence sets
(half a second on average); the ratio is Portway's cost above it.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from tests.runtime.builtins.sql_serve import (  # noqa: E402
    EXAMPLE,
    create_customers,
    runs_per_customer,
    wait_for_runs,
    wait_until_watching,
)
from tests.runtime.cli.test_workflows_cli import _portway  # noqa: E402
from tests.support.servers import portway_process  # noqa: E402


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class _ReferencePoller:
    """Polls the table every second, as the trigger's recurrence does, without Portway."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen: dict[int, float] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        conn = sqlite3.connect(self.path)
        last = conn.execute('SELECT coalesce(max("CustomerId"), 0) FROM "Customers"'
                            ).fetchone()[0]
        next_poll = time.monotonic()
        while not self.stop.is_set():
            for (key,) in conn.execute('SELECT "CustomerId" FROM "Customers" WHERE '
                                       '"CustomerId" > ? ORDER BY 1', (last,)).fetchall():
                self.seen[key] = time.time()
                last = key
            next_poll += 1.0
            self.stop.wait(max(0.0, next_poll - time.monotonic()))
        conn.close()


def sql_row_to_run(rows: int) -> dict[str, float]:
    """Latency from a committed SQL row to its run's start, in seconds."""
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        database = work / "customers.db"
        create_customers(f"sqlite:///{database}")
        env = {"PORTWAY_RUNTIME_TRIGGER_SECONDS": "0.05",
               "PORTWAY_CATALOGUE_DIRECTORY": str(work / "no-catalogue")}
        with portway_process(work, env) as (base, _):
            deployed = _portway(work, "workflows", "deploy", str(EXAMPLE))
            if deployed.returncode != 0:
                raise SystemExit(deployed.stderr)
            wait_until_watching(f"sqlite:///{work / 'var' / 'portway.db'}")
            reference = _ReferencePoller(database)
            reference.thread.start()
            committed: dict[int, float] = {}
            conn = sqlite3.connect(database)
            chance = random.Random(7)  # the moments rows are added at, not a secret
            for n in range(rows):
                time.sleep(chance.uniform(0.05, 1.0))
                cursor = conn.execute('INSERT INTO "Customers" ("Name") VALUES (?)',
                                      (f"bench-{n}",))
                conn.commit()
                committed[int(cursor.lastrowid or 0)] = time.time()
            conn.close()
            token = (work / "var" / "owner.token").read_text().strip()
            with httpx.Client(base_url=base, headers={"authorization": f"Bearer {token}"},
                              timeout=30) as client:
                wait_for_runs(client, rows)
                found = runs_per_customer(client)
            reference.stop.set()
            reference.thread.join()
    latency = [datetime.fromisoformat(found[key][0]["startTime"]).timestamp() - at
               for key, at in committed.items()]
    floor = [reference.seen[key] - at for key, at in committed.items()
             if key in reference.seen]
    return {"rows": rows, "p50": statistics.median(latency), "p99": _percentile(latency, 0.99),
            "reference_p50": statistics.median(floor),
            "reference_p99": _percentile(floor, 0.99),
            "runs_per_row": max(len(each) for each in found.values())}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=30)
    args = parser.parse_args()
    figures = sql_row_to_run(min(max(args.rows, 5), 200))
    print(f"SQL row -> run start, whenARowIsInserted every second, {figures['rows']:.0f} rows:"
          f" p50 {figures['p50'] * 1000:.0f} ms, p99 {figures['p99'] * 1000:.0f} ms;"
          f" bare 1 s poll loop p50 {figures['reference_p50'] * 1000:.0f} ms,"
          f" p99 {figures['reference_p99'] * 1000:.0f} ms;"
          f" ratio p50 {figures['p50'] / max(figures['reference_p50'], 1e-6):.2f};"
          f" runs per row {figures['runs_per_row']:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
