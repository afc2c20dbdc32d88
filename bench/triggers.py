"""Trigger benchmarks, each against the real ``portway serve`` with a reference in the same
run. Everything is on loopback.

Run: ``.venv/bin/python bench/triggers.py [--rows N] [--no-postgres] [--duration S]
[--workflows N] [--every S] [--poll-seconds S]`` (``make bench`` runs it).

1. **Request trigger → run started** (``request_trigger``). A workflow with a Request
   trigger and one Compose (no Response, so the answer is the ``202`` once the run is
   stored); ``wrk`` calls its signed callback URL at 1 and 16 connections for
   ``--duration`` seconds each. The reference is a bare Starlette app on the same server
   (Portway's own, one worker) answering the same request ``202`` with the same run-id
   header: the ratio is what the signature check, the store, the run record and the engine cost.
2. **Polling at scale** (``polling``). ``--workflows`` workflows (1,000) with an ``Http``
   polling trigger every ``--every`` seconds (10: 100 polls a second are due) against an
   nginx upstream answering ``202`` (nothing fires, so only polling is measured), for
   ``--poll-seconds`` seconds. nginx's access log gives each poll's arrival; each
   trigger's anchor (from its state row) gives when the poll was due, so lateness is
   arrival minus the occurrence it served. Prints polls per second sustained, the
   p50/p99/max lateness and the most polls in one second (all the triggers were deployed
   together, so they fall due in the same instant: that burst is the one process's
   polling capacity, and its length is the lateness).
3. **SQL row → run start** (``sql_row_to_run``): the seed's SQL example
   (``docs/examples/new-customers-csv``, ``whenARowIsInserted`` every second, Logic Apps'
   finest recurrence) deployed to the real ``portway serve`` with its store on SQLite,
   then on PostgreSQL (a throwaway cluster; ``--no-postgres`` skips it); rows are added one
   at a time at random moments, and each row's latency is its run's ``startTime`` minus
   the moment its insert committed, p50 and p99 over a bounded number of rows. The
   reference, in the same run over the same rows: a bare loop that polls the same table
   every second with sqlite3 and notes when it first sees each row — the floor the
   one-second recurrence sets (half a second on average); the ratio is Portway's cost
   above it, noisy over few rows because both wait for a poll at an independent phase, so
   Portway's own part is given too: from the poll's due moment (the run's trigger
   ``startTime``) to the run's start.
4. **FTP upload → run start** (``ftp_upload_to_run``): the seed's FTP example
   (``docs/examples/ftp-file-added``, ``whenFtpFilesAreAddedOrModified`` every second)
   deployed to the real ``portway serve`` on SQLite against a pyftpdlib server; files are
   uploaded one at a time at random moments, and each file's latency is its run's
   ``startTime`` minus the moment its upload finished, p50 and p99 over ``--uploads``
   files. The reference, in the same run over the same uploads: a bare loop that lists the
   folder (``MLSD``) every second with ftplib and notes when it first sees each file — the
   floor a one-second poll sets. Portway takes a file only once two polls saw it unchanged
   (a file still being written is not handed on), so about one more second is by design.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench.proxy import (  # noqa: E402
    free_port,
    nginx,
    portway,
    portway_environment,
    wait_for_port,
    wrk,
)
from tests.runtime.builtins.sql_serve import (  # noqa: E402
    EXAMPLE,
    create_customers,
    runs_per_customer,
    wait_for_runs,
    wait_until_watching,
)
from tests.runtime.cli.test_workflows_cli import _portway  # noqa: E402
from tests.support.servers import portway_process  # noqa: E402

SCHEMA = ("https://schema.management.azure.com/providers/Microsoft.Logic/schemas/"
          "2016-06-01/workflowdefinition.json#")
COMPOSE = {"Say": {"type": "Compose", "inputs": "@triggerBody()", "runAfter": {}}}

REFERENCE_APP = '''
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route


async def invoke(request):
    return Response(status_code=202, headers={"x-ms-workflow-run-id": "08584000000000000000"})


app = Starlette(routes=[Route("/api/{workflow}/triggers/{trigger}/invoke", invoke,
                              methods=["GET", "POST"])])
'''

POLL_UPSTREAM = """log_format polls '$msec $arg_wf';
  server {{
    listen 127.0.0.1:{port} backlog=4096;
    keepalive_requests 100000000;
    access_log {dir}/polls.log polls buffer=64k flush=1s;
    location /poll {{ return 202; }}
  }}"""


def definition(trigger: dict[str, Any]) -> dict[str, Any]:
    return {"$schema": SCHEMA, "contentVersion": "1.0.0.0", "triggers": trigger,
            "actions": COMPOSE}


def reference_server(workdir: Path, port: int) -> subprocess.Popen[bytes]:
    (workdir / "reference_app.py").write_text(REFERENCE_APP)
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway.server", "reference_app:app", "--host",
         "127.0.0.1", "--port", str(port)],
        cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port, process)
    return process


def request_trigger(workdir: Path, duration: float) -> dict[str, dict[str, float]]:
    environment = portway_environment(workdir)
    port, reference_port = free_port(), free_port()
    results: dict[str, dict[str, float]] = {}
    with ExitStack() as stack:
        served = stack.enter_context(portway(workdir, environment, port))
        token = (workdir / "owner.token").read_text().strip()
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, headers={"authorization": f"Bearer {token}"},
                          timeout=60) as owner:
            put = owner.put("/v1/workflows/bench-request", json={"definition": definition(
                {"manual": {"type": "Request", "kind": "Http"}})})
            assert put.status_code == 201, put.text
            url = owner.post("/v1/workflows/bench-request/triggers/manual/callback-url"
                             ).json()["value"]
        reference = reference_server(workdir, reference_port)
        stack.callback(reference.wait, 10)
        stack.callback(reference.terminate)
        reference_url = f"http://127.0.0.1:{reference_port}/api/bench-request/triggers/" \
                        f"manual/invoke?{url.split('?', 1)[1]}"
        wrk(url, 4, 2)  # warm up
        wrk(reference_url, 4, 2)
        for connections in (1, 16):
            results[f"portway c={connections}"] = wrk(url, connections, duration,
                                                      pid=served.pid)
            results[f"starlette c={connections}"] = wrk(reference_url, connections,
                                                        duration, pid=reference.pid)
    return results


def seed_pollers(environment: dict[str, str], count: int, every: float,
                 upstream: int) -> None:
    from gateway.services import build_services
    from gateway.settings import load_settings
    from runtime.definitions.model import WorkflowSpec
    from runtime.store.appsettings import AppSettingsStore
    from runtime.store.workflows import WorkflowStore

    services = build_services(load_settings(environ=environment))
    store = WorkflowStore(services, AppSettingsStore(services))
    specs = [WorkflowSpec(name=f"poll-{n:04d}", definition=definition({"poll": {
        "type": "Http",
        "inputs": {"method": "GET", "uri": f"http://127.0.0.1:{upstream}/poll?wf={n}"},
        "recurrence": {"frequency": "Second", "interval": int(every)}}}))
        for n in range(count)]
    for start in range(0, len(specs), 200):
        store.put_many(specs[start:start + 200])
    services.db.dispose()


def anchors(environment: dict[str, str]) -> dict[str, float]:
    import sqlalchemy as sa

    from runtime.store.tables import trigger_states

    engine = sa.create_engine(environment["PORTWAY_DATABASE_URL"])
    with engine.connect() as conn:
        rows = conn.execute(sa.select(trigger_states.c.workflow,
                                      trigger_states.c.state)).all()
    engine.dispose()
    return {row.workflow.removeprefix("poll-").lstrip("0") or "0":
            float(json.loads(row.state)["anchor"]) for row in rows}


def polling(workdir: Path, count: int, every: float, seconds: float) -> dict[str, float]:
    environment = {**portway_environment(workdir), "PORTWAY_RUNTIME_TRIGGER_SECONDS": "0.1"}
    upstream = free_port()
    seed_pollers(environment, count, every, upstream)
    with ExitStack() as stack:
        stack.enter_context(nginx(workdir, "polls", POLL_UPSTREAM.format(
            port=upstream, dir=workdir), upstream))
        stack.enter_context(portway(workdir, environment, free_port()))
        time.sleep(every + 2)  # the first round of polls after start
        started = time.time()
        time.sleep(seconds)
        ended = time.time()
        found = anchors(environment)
    arrivals: dict[str, list[float]] = defaultdict(list)
    for line in (workdir / "polls.log").read_text().splitlines():
        stamp, _, wf = line.partition(" ")
        if wf:
            arrivals[wf].append(float(stamp))
    lateness = []
    polls = 0
    seconds_seen: dict[int, int] = defaultdict(int)  # arrivals per wall-clock second
    for wf, times in arrivals.items():
        anchor = found.get(wf)
        if anchor is None:
            continue
        for stamp in times:
            if not started <= stamp < ended:
                continue
            polls += 1
            seconds_seen[int(stamp)] += 1
            lateness.append((stamp - anchor) % every)
    due = count * seconds / every
    lateness.sort()
    return {"polls": polls, "due": due, "per_second": polls / seconds,
            "peak": max(seconds_seen.values(), default=0),
            "p50": _percentile(lateness, 0.50) * 1000 if lateness else float("nan"),
            "p99": _percentile(lateness, 0.99) * 1000 if lateness else float("nan"),
            "max": (lateness[-1] if lateness else float("nan")) * 1000}


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


def sql_row_to_run(rows: int, store_url: str = "") -> dict[str, float]:
    """Latency from a committed SQL row to its run's start, in seconds (Portway's store at
    ``store_url``, else SQLite)."""
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        database = work / "customers.db"
        create_customers(f"sqlite:///{database}")
        env = {"PORTWAY_RUNTIME_TRIGGER_SECONDS": "0.05",
               "PORTWAY_RUNTIME_SQL_SQLITE_ROOTS": ".",
               "PORTWAY_CATALOGUE_DIRECTORY": str(work / "no-catalogue")}
        if store_url:
            env["PORTWAY_DATABASE_URL"] = store_url
        with portway_process(work, env) as (base, _):
            deployed = _portway(work, "workflows", "deploy", str(EXAMPLE), "--url", base,
                                "--token-file", "var/owner.token")
            if deployed.returncode != 0:
                raise SystemExit(deployed.stderr)
            wait_until_watching(store_url or f"sqlite:///{work / 'var' / 'portway.db'}")
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
    # Portway's own part: from the poll's due moment (the run's trigger startTime) to the
    # run's start; the rest of a row's latency is the wait for the once-a-second poll.
    own = [datetime.fromisoformat(found[key][0]["startTime"]).timestamp()
           - datetime.fromisoformat(found[key][0]["trigger"]["startTime"]).timestamp()
           for key in committed]
    floor = [reference.seen[key] - at for key, at in committed.items()
             if key in reference.seen]
    return {"rows": rows, "p50": statistics.median(latency), "p99": _percentile(latency, 0.99),
            "reference_p50": statistics.median(floor),
            "reference_p99": _percentile(floor, 0.99),
            "own_p50": statistics.median(own), "own_p99": _percentile(own, 0.99),
            "runs_per_row": max(len(each) for each in found.values())}


class _ReferenceLister:
    """Lists the FTP folder every second and notes when each file is first seen."""

    def __init__(self, port: int, user: str, password: str) -> None:
        self.port, self.user, self.password = port, user, password
        self.seen: dict[str, float] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        import ftplib

        with ftplib.FTP() as client:
            client.connect("127.0.0.1", self.port)
            client.login(self.user, self.password)
            while not self.stop.is_set():
                for name, _facts in client.mlsd("/inbox"):
                    self.seen.setdefault(f"/inbox/{name}", time.time())
                self.stop.wait(1.0)


def ftp_upload_to_run(uploads: int) -> dict[str, float]:
    """Latency from a finished FTP upload to its run's start, in seconds."""
    from tests.runtime.builtins.test_ftp_example import EXAMPLE as FTP_EXAMPLE
    from tests.runtime.builtins.test_ftp_example import finished_runs, upload
    from tests.support.file_servers import PASSWORD, USER, ftp_server

    with tempfile.TemporaryDirectory() as folder, ftp_server(Path(folder) / "ftp") as server:
        work = Path(folder)
        (server.root / "inbox").mkdir()
        env = {"PORTWAY_RUNTIME_TRIGGER_SECONDS": "0.05", "PORTWAY_EGRESS_ALLOW": "127.0.0.1/32",
               "PORTWAY_CATALOGUE_DIRECTORY": str(work / "no-catalogue")}
        with portway_process(work, env) as (base, _):
            deployed = _portway(work, "workflows", "deploy", str(FTP_EXAMPLE))
            if deployed.returncode != 0:
                raise SystemExit(deployed.stderr)
            token = (work / "var" / "owner.token").read_text().strip()
            with httpx.Client(base_url=base, headers={"authorization": f"Bearer {token}"},
                              timeout=30) as client:
                client.put("/v1/appsettings", json={"FTP_PORT": str(server.port),
                                                    "FTP_PASSWORD": PASSWORD,
                                                    "FTP_POLL_SECONDS": "1"})
                upload(server, "/inbox/warm-up.txt", b"warm up")  # the trigger polls
                finished_runs(client, 1, timeout=60)
                reference = _ReferenceLister(server.port, USER, PASSWORD)
                reference.thread.start()
                uploaded: dict[str, float] = {}
                chance = random.Random(11)  # the moments files are uploaded at
                for n in range(uploads):
                    time.sleep(chance.uniform(0.05, 1.0))
                    path = f"/inbox/bench-{n}.txt"
                    upload(server, path, f"file {n}\n".encode())
                    uploaded[path] = time.time()
                runs = finished_runs(client, uploads + 1, timeout=120)
                reference.stop.set()
                reference.thread.join()
    started: dict[str, list[float]] = defaultdict(list)
    for record in runs:
        started[record["trigger"]["outputs"]["body"]["path"]].append(
            datetime.fromisoformat(record["startTime"]).timestamp())
    latency = [min(started[path]) - at for path, at in uploaded.items()]
    floor = [reference.seen[path] - at for path, at in uploaded.items()
             if path in reference.seen]
    return {"uploads": uploads, "p50": statistics.median(latency),
            "p99": _percentile(latency, 0.99), "reference_p50": statistics.median(floor),
            "reference_p99": _percentile(floor, 0.99),
            "runs_per_file": max(len(each) for each in started.values())}


def _report_sql(store: str, figures: dict[str, float]) -> None:
    print(f"SQL row -> run start ({store} store), whenARowIsInserted every second, "
          f"{figures['rows']:.0f} rows: p50 {figures['p50'] * 1000:.0f} ms, "
          f"p99 {figures['p99'] * 1000:.0f} ms; bare 1 s poll loop p50 "
          f"{figures['reference_p50'] * 1000:.0f} ms, p99 "
          f"{figures['reference_p99'] * 1000:.0f} ms; ratio p50 "
          f"{figures['p50'] / max(figures['reference_p50'], 1e-6):.2f}; Portway's own part "
          f"(poll due -> run start) p50 {figures['own_p50'] * 1000:.0f} ms, p99 "
          f"{figures['own_p99'] * 1000:.0f} ms; runs per row {figures['runs_per_row']:.0f}",
          flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=30, help="SQL rows to add")
    parser.add_argument("--no-postgres", action="store_true",
                        help="measure SQL row -> run start on a SQLite store only")
    parser.add_argument("--uploads", type=int, default=30, help="FTP files to upload")
    parser.add_argument("--duration", type=float, default=5.0,
                        help="seconds per wrk run of the Request trigger")
    parser.add_argument("--workflows", type=int, default=1000)
    parser.add_argument("--every", type=float, default=10.0,
                        help="seconds between one polling trigger's polls")
    parser.add_argument("--poll-seconds", type=float, default=30.0,
                        help="how long polling is measured")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="portway-bench-triggers-") as temp:
        root = Path(temp)
        (root / "request").mkdir()
        (root / "polling").mkdir()
        calls = request_trigger(root / "request", args.duration)
        polled = polling(root / "polling", args.workflows, args.every, args.poll_seconds)
    print("Request trigger -> run started (signed URL, 202 once the run is stored)")
    print(f"{'':16} {'calls/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'CPU us/call':>12}")
    for name, row in calls.items():
        print(f"{name:16} {row['rps']:9.0f} {row['p50']:8.2f} {row['p99']:8.2f} "
              f"{row['cpu_us']:12.0f}")
    for connections in (1, 16):
        ours, bare = calls[f"portway c={connections}"], calls[f"starlette c={connections}"]
        print(f"c={connections}: Portway does {ours['rps'] / bare['rps']:.1%} of a bare "
              f"Starlette app's calls/s")
    print(f"Polling: {args.workflows} Http polling workflows every {args.every:g}s, "
          f"{args.poll_seconds:g}s measured: polls {polled['polls']:.0f} of "
          f"{polled['due']:.0f} due ({polled['per_second']:.1f}/s); lateness p50 "
          f"{polled['p50']:.0f} ms, p99 {polled['p99']:.0f} ms, max {polled['max']:.0f} ms; "
          f"the most polls in one second: {polled['peak']:.0f} (triggers deployed "
          "together fall due together)")
    rows = min(max(args.rows, 5), 200)
    _report_sql("SQLite", sql_row_to_run(rows))
    if not args.no_postgres:
        from tests.support.databases import create_database, postgres_server

        with postgres_server() as server:
            _report_sql("PostgreSQL", sql_row_to_run(rows, create_database(server, "bench")))
    ftp = ftp_upload_to_run(min(max(args.uploads, 5), 200))
    print(f"FTP upload -> run start, whenFtpFilesAreAddedOrModified every second, "
          f"{ftp['uploads']:.0f} files: p50 {ftp['p50'] * 1000:.0f} ms, "
          f"p99 {ftp['p99'] * 1000:.0f} ms; bare 1 s MLSD loop first sight p50 "
          f"{ftp['reference_p50'] * 1000:.0f} ms, p99 {ftp['reference_p99'] * 1000:.0f} ms; "
          f"ratio p50 {ftp['p50'] / max(ftp['reference_p50'], 1e-6):.2f}; "
          f"runs per file {ftp['runs_per_file']:.0f}")
    return 0 if polled["polls"] >= 0.95 * polled["due"] else 1


if __name__ == "__main__":
    sys.exit(main())
