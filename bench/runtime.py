"""Runtime benchmark: durable runs per second of a 10-action workflow, and the
checkpoint path's write strategies.

Run: ``.venv/bin/python bench/runtime.py [--runs N] [--concurrency C] [--no-postgres]``.

1. Durable runs/s: a workflow of 10 actions (InitializeVariable, Compose,
   IncrementVariable, an If with a Compose in each branch, SetVariable...) run in
   process, every action checkpointed before the run moves on; on SQLite and on
   PostgreSQL (a throwaway cluster, as the test suite starts it), in one process and in
   two processes sharing the database (on SQLite one process holds the runtime lease, so
   only one process is measured there). A run counts when its end is committed.
2. Checkpoint path: 10 records per run written for many runs, as SQLAlchemy Core with
   one transaction per record, Core ``executemany`` per group commit, and raw DBAPI
   ``executemany`` per group commit (what ``runtime/engine/checkpoints.py`` does).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.proxy import (  # noqa: E402
    free_port,
    portway,
    portway_environment,
    wait_for_port,
    wrk,
)
from gateway.services import build_services  # noqa: E402
from runtime.engine import build_engine  # noqa: E402
from runtime.engine.interface import TriggerRecord, WorkflowVersion  # noqa: E402
from runtime.settings import RuntimeSettings  # noqa: E402
from runtime.store.tables import action_results, runs  # noqa: E402
from tests.gateway.conftest import make_settings  # noqa: E402

DEFINITION: dict[str, Any] = {
    "triggers": {"manual": {"type": "Request", "kind": "Http"}},
    "actions": {
        "Init": {"type": "InitializeVariable", "inputs": {"variables": [
            {"name": "n", "type": "integer", "value": 0},
            {"name": "label", "type": "string", "value": ""}]}},
        "Read": {"type": "Compose", "inputs": {"id": "@triggerBody()?['id']"},
                 "runAfter": {"Init": ["Succeeded"]}},
        "Bump": {"type": "IncrementVariable", "inputs": {"name": "n", "value": 2},
                 "runAfter": {"Read": ["Succeeded"]}},
        "Shape": {"type": "Compose", "inputs": "@concat('item-', string(outputs('Read')?['id']))",
                  "runAfter": {"Bump": ["Succeeded"]}},
        "Even": {"type": "If", "expression": {"equals": ["@mod(variables('n'), 2)", 0]},
                 "actions": {"Yes": {"type": "Compose", "inputs": "even"}},
                 "else": {"actions": {"No": {"type": "Compose", "inputs": "odd"}}},
                 "runAfter": {"Shape": ["Succeeded"]}},
        "Label": {"type": "SetVariable", "inputs": {"name": "label",
                                                     "value": "@outputs('Shape')"},
                  "runAfter": {"Even": ["Succeeded"]}},
        "Total": {"type": "Compose", "inputs": "@add(variables('n'), 1)",
                  "runAfter": {"Label": ["Succeeded"]}},
        "Done": {"type": "Compose", "inputs": {"label": "@variables('label')",
                                               "total": "@outputs('Total')"},
                 "runAfter": {"Total": ["Succeeded"]}},
    },
}
VERSION = WorkflowVersion("bench", "bench-v1", DEFINITION)
CPU: list[float] = []  # CPU seconds of the last in-process drive


class _Source:
    def version(self, version_id: str) -> WorkflowVersion:
        return VERSION

    def current(self, workflow: str) -> WorkflowVersion:
        return VERSION


class _NoSettings:
    def get(self, name: str) -> str | None:
        return None


def _engine(url: str, folder: str) -> tuple[Any, Any]:
    services = build_services(make_settings(Path(folder), url))
    return services, build_engine(services, RuntimeSettings(poll_seconds=0.02), _Source(),
                                  _NoSettings())


async def _run_to_end(engine: Any, n: int) -> None:
    """Start a run and return when its end is committed (here, or by another process)."""
    handle = await engine.start_run(VERSION, TriggerRecord("manual", {
        "headers": {}, "body": {"id": n}}))
    local = engine.local.get(handle.run_id)
    if local is not None and local.task is not None:
        await asyncio.shield(local.task)
    else:  # run elsewhere: without a Response, the wait ends with the run
        await handle.response(120)


async def _stop(services: Any, worker: asyncio.Task[None]) -> None:
    worker.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await worker
    services.db.dispose()


async def _drive(url: str, total: int, concurrency: int, folder: str) -> float:
    services, engine = _engine(url, folder)
    worker = asyncio.create_task(engine.work(services))
    gate = asyncio.Semaphore(concurrency)

    async def one(n: int) -> None:
        async with gate:
            await _run_to_end(engine, n)

    await one(-1)  # warm up: caches, connections
    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(one(n) for n in range(total)))
    elapsed = time.perf_counter() - started
    CPU.append(time.process_time() - cpu)
    await _stop(services, worker)
    return elapsed


def _child(url: str, total: int, concurrency: int, folder: str, out: Any) -> None:
    out.put(asyncio.run(_drive(url, total, concurrency, folder)))


def _check(url: str, expected: int, warmups: int = 0) -> None:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        done = conn.execute(sa.select(sa.func.count()).select_from(runs).where(
            runs.c.status == "Succeeded")).scalar()
        records = conn.execute(sa.select(sa.func.count()).select_from(action_results)).scalar()
    engine.dispose()
    expected += warmups
    if done != expected or records != expected * 10:
        raise SystemExit(f"expected {expected} succeeded runs of 10 records, found {done} "
                         f"runs and {records} records")


def durable(url: str, processes: int, total: int, concurrency: int, folder: str) -> float:
    from gateway.store.database import Database

    Database(url).migrate()
    per = total // processes
    if processes == 1:
        elapsed = asyncio.run(_drive(url, per, concurrency, folder))
    else:
        queue: Any = multiprocessing.get_context("spawn").Queue()
        children = [multiprocessing.get_context("spawn").Process(
            target=_child, args=(url, per, concurrency, folder, queue))
            for _ in range(processes)]
        for child in children:
            child.start()
        elapsed = max(queue.get() for _ in children)
        for child in children:
            child.join()
    _check(url, per * processes, warmups=processes)
    return per * processes / elapsed


async def _holder(url: str, total: int, folder: str, out: Any, go: Any) -> None:
    """Hold the runtime lease, accept runs when told, and stop at once with them in
    flight."""
    services, engine = _engine(url, folder)
    while not await engine._may_run_here():
        await asyncio.sleep(0.01)
    worker = asyncio.create_task(engine.work(services))
    out.put("holding")
    while not go.is_set():
        await asyncio.sleep(0.005)
    await asyncio.gather(*(engine.start_run(VERSION, TriggerRecord("manual", {
        "headers": {}, "body": {"id": n}})) for n in range(total)))
    out.put(time.time())
    out.put(len(engine.local))
    await _stop(services, worker)


async def _heir(url: str, total: int, folder: str, expected: int, out: Any, go: Any
                ) -> None:
    """Accept runs while the other process holds the lease, then finish every run."""
    services, engine = _engine(url, folder)
    worker = asyncio.create_task(engine.work(services))
    out.put("ready")
    while not go.is_set():
        await asyncio.sleep(0.005)
    await asyncio.gather(*(engine.start_run(VERSION, TriggerRecord("manual", {
        "headers": {}, "body": {"id": n}})) for n in range(total)))
    ended = sa.select(sa.func.count()).select_from(runs).where(
        runs.c.status.notin_(("Running", "Waiting")))

    def count() -> int:
        with services.db.engine.connect() as conn:
            return int(conn.execute(ended).scalar() or 0)

    deadline, holding = time.time() + 120, 0.0
    while time.time() < deadline and await services.db.run(count) < expected:
        if not holding and engine._holds_lease:
            holding = time.time()
        await asyncio.sleep(0.05)
    out.put((holding, time.time()))
    await _stop(services, worker)


def _process(target: Any, *args: Any) -> None:
    asyncio.run(target(*args))


def handover(url: str, total: int, folder: str) -> dict[str, float]:
    """Two processes on one SQLite database; the lease holder stops with runs in flight.

    Answers the seconds from the holder's stop until every run had ended (the other
    process took them all over), and the overall runs/s.
    """
    from gateway.store.database import Database

    Database(url).migrate()
    context = multiprocessing.get_context("spawn")
    holder_out: Any = context.Queue()
    heir_out: Any = context.Queue()
    per = total // 2
    go = context.Event()
    holder = context.Process(target=_process,
                             args=(_holder, url, per, folder, holder_out, go))
    holder.start()
    if holder_out.get(timeout=120) != "holding":
        raise SystemExit("the holder did not take the runtime lease")
    heir = context.Process(target=_process,
                           args=(_heir, url, per, folder, 2 * per, heir_out, go))
    heir.start()
    if heir_out.get(timeout=120) != "ready":
        raise SystemExit("the second process did not start")
    started = time.time()
    go.set()  # both accept runs at once; the holder stops as soon as it has its own
    stopped = holder_out.get(timeout=180)
    in_flight = holder_out.get(timeout=60)
    holding, done = heir_out.get(timeout=180)
    for child in (holder, heir):
        child.join(60)
    _check(url, 2 * per, warmups=0)
    return {"after_stop": done - stopped, "in_flight": in_flight,
            "lease_taken": holding - stopped,
            "runs_per_second": 2 * per / (done - started)}


def checkpoint_paths(url: str, runs_count: int) -> dict[str, float]:
    """Records/s of three ways to write 10 checkpoint records per run."""
    from gateway.store.database import Database

    db = Database(url)
    db.migrate()
    record = json.dumps({"name": "Compose", "status": "Succeeded", "inputs": {"a": 1},
                         "outputs": {"a": 1}, "startTime": "2026-01-01T00:00:00.0000000Z"})

    def rows(prefix: str) -> list[dict[str, Any]]:
        return [{"run_id": f"{prefix}{r}", "key": f"A{i}", "action": f"A{i}", "seq": i,
                 "status": "Succeeded", "record": record, "state": None}
                for r in range(runs_count) for i in range(10)]

    found: dict[str, float] = {}
    data = rows("core1-")[: runs_count * 10 // 4]
    started = time.perf_counter()
    for row in data:
        with db.engine.begin() as conn:
            conn.execute(action_results.insert(), row)
    found["core, one transaction per record"] = len(data) / (time.perf_counter() - started)
    data = rows("coreN-")
    started = time.perf_counter()
    for start in range(0, len(data), 1000):
        with db.engine.begin() as conn:
            conn.execute(action_results.insert(), data[start:start + 1000])
    found["core executemany, 100 runs per commit"] = len(data) / (time.perf_counter() - started)
    data = rows("raw-")
    postgres = db.dialect == "postgresql"
    mark = "%s" if postgres else "?"
    sql = (f"INSERT INTO runtime_action_results (run_id, key, action, seq, status, record, "
           f"state) VALUES ({', '.join([mark] * 7)})")
    conn = db.engine.raw_connection()
    started = time.perf_counter()
    for start in range(0, len(data), 1000):
        cursor = conn.cursor()
        cursor.executemany(sql, [tuple(r.values()) for r in data[start:start + 1000]])
        conn.commit()
        cursor.close()
    found["raw DBAPI executemany, 100 runs per commit"] = len(data) / (
        time.perf_counter() - started)
    conn.close()
    db.dispose()
    return found


# -- through the real ``portway serve`` -----------------------------------------------

BARE_APP = """
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def hello(request: Request) -> JSONResponse:
    body = await request.json()
    return JSONResponse({"hello": body.get("n")})


async def item(request: Request) -> JSONResponse:
    return JSONResponse({"item": request.path_params["n"]})


app = Starlette(routes=[Route("/hello", hello, methods=["POST"]),
                        Route("/item/{n}", item)])
"""
POST_SCRIPT = """wrk.method = "POST"
wrk.body = '{"n": 1}'
wrk.headers["Content-Type"] = "application/json"
"""
RESPOND = {"definition": {
    "triggers": {"manual": {"type": "Request", "kind": "Http"}},
    "actions": {"Answer": {"type": "Response", "inputs": {
        "statusCode": 200, "body": {"hello": "@triggerBody()?['n']"}}}}}, "kind": "Stateful"}


def _foreach(upstream: str, items: int) -> dict[str, Any]:
    return {"kind": "Stateful", "definition": {
        "triggers": {"manual": {"type": "Request", "kind": "Http"}},
        "actions": {"Each": {
            "type": "Foreach", "foreach": f"@range(0, {items})",
            "runtimeConfiguration": {"concurrency": {"repetitions": 20}},
            "actions": {"Call": {"type": "Http", "inputs": {
                "method": "GET", "uri": f"{upstream}/item/@{{items('Each')}}",
                "retryPolicy": {"type": "none"}}}}}}}}


@contextlib.contextmanager
def _bare(folder: Path, port: int) -> Any:
    """The same answer from a bare Starlette app, served by Portway's server as Portway
    is."""
    (folder / "bare_app.py").write_text(BARE_APP)
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway.server", "bare_app:app", "--host", "127.0.0.1",
         "--port", str(port)],
        cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, process)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=15)


def _peak_rss_kb(pid: int) -> int:
    """The peak resident set (VmHWM) of a process and its descendants, summed."""
    total = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1])
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += _peak_rss_kb(int(child))
    except (OSError, ValueError):
        pass
    return total


def served(seconds: float, items: int) -> dict[str, Any]:
    """Request trigger -> Response through ``portway serve`` beside a bare Starlette app
    (wrk, same connections, same duration), and a Foreach of ``items`` Http calls."""
    import httpx

    folder = Path(tempfile.mkdtemp(prefix="portway-bench-runtime-"))
    environment = portway_environment(folder)
    ports = {name: free_port() for name in ("bare", "portway")}
    found: dict[str, Any] = {}
    script = folder / "post.lua"
    script.write_text(POST_SCRIPT)
    with _bare(folder, ports["bare"]), portway(folder, environment,
                                               ports["portway"]) as process:
        base = f"http://127.0.0.1:{ports['portway']}"
        owner = (folder / "owner.token").read_text().strip()
        auth = {"authorization": f"Bearer {owner}"}
        upstream = f"http://127.0.0.1:{ports['bare']}"
        for name, body in (("respond", RESPOND), ("fanout", _foreach(upstream, items))):
            answer = httpx.put(f"{base}/v1/workflows/{name}", headers=auth, json=body,
                               timeout=30)
            if answer.status_code != 201:
                raise SystemExit(f"deploying {name} failed: {answer.text}")
        url = httpx.post(f"{base}/v1/workflows/respond/triggers/manual/callback-url",
                         headers=auth, timeout=30).json()["value"]
        checked = httpx.post(url, json={"n": 1}, timeout=30)
        if checked.status_code != 200 or checked.json() != {"hello": 1}:
            raise SystemExit(f"the Response answered {checked.status_code} {checked.text}")
        for connections in (1, 16):
            wrk(url, connections, 2, script=script)  # warm up
            found[f"portway/{connections}"] = wrk(url, connections, seconds,
                                                  pid=process.pid, script=script)
            found[f"bare/{connections}"] = wrk(f"{upstream}/hello", connections, seconds,
                                               script=script)
        fanout = httpx.post(f"{base}/v1/workflows/fanout/triggers/manual/callback-url",
                            headers=auth, timeout=30).json()["value"]
        started = time.perf_counter()
        run_id = httpx.post(fanout, json={}, timeout=30).headers["x-ms-workflow-run-id"]
        while True:
            run = httpx.get(f"{base}/v1/runs/{run_id}", headers=auth, timeout=30).json()
            if run.get("status") not in ("Running", "Waiting"):
                break
            if time.perf_counter() - started > 300:
                raise SystemExit("the Foreach run did not end in 300 s")
            time.sleep(0.05)
        found["foreach"] = {"seconds": time.perf_counter() - started,
                            "status": run["status"],
                            "peak_rss_mb": _peak_rss_kb(process.pid) / 1024,
                            "calls": len(run["actions"]["Call"].get("repetitions") or [])}
    return found


def report_served(found: dict[str, Any], items: int) -> None:
    print("Request trigger -> Response through portway serve (Stateful: the run is stored "
          "and checkpointed), beside a bare Starlette app (same server, same request):")
    for connections in (1, 16):
        mine, bare = found[f"portway/{connections}"], found[f"bare/{connections}"]
        print(f"  {connections:2d} connection(s): portway p50 {mine['p50']:.2f} ms, p99 "
              f"{mine['p99']:.2f} ms, {mine['rps']:.0f} calls/s ({mine['cpu_us']:.0f} us CPU "
              f"per call); bare p50 {bare['p50']:.2f} ms, p99 {bare['p99']:.2f} ms, "
              f"{bare['rps']:.0f} calls/s; ratio {mine['rps'] / bare['rps']:.2f}")
    each = found["foreach"]
    print(f"Foreach of {items} Http calls to a loopback upstream, 20 at once: "
          f"{each['status']} in {each['seconds']:.2f} s ({each['calls']} calls recorded, "
          f"{items / each['seconds']:.0f} calls/s), peak RSS of portway serve "
          f"{each['peak_rss_mb']:.0f} MB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--handover-runs", type=int, default=1000)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--http-seconds", type=float, default=5.0,
                        help="seconds per wrk run against portway serve and the bare app")
    parser.add_argument("--foreach-items", type=int, default=1000)
    parser.add_argument("--no-http", action="store_true",
                        help="skip the benchmarks through portway serve")
    args = parser.parse_args()
    os.environ.setdefault("PORTWAY_LOG_LEVEL", "warning")
    results: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory() as folder:
        # On SQLite one process holds the runtime lease and runs every run: a second
        # process only accepts runs, so its figure is the hand-over when the holder stops.
        results.append(("sqlite, 1 process", durable(
            f"sqlite:///{folder}/bench.db", 1, args.runs, args.concurrency, folder)))
        handed = handover(f"sqlite:///{folder}/handover.db", args.handover_runs, folder)
        paths = checkpoint_paths(f"sqlite:///{folder}/paths.db", 1000)
        if not args.no_postgres:
            from tests.support.databases import create_database, postgres_server

            with postgres_server() as server:
                for processes in (1, 2):
                    url = create_database(server, f"bench{processes}")
                    results.append((f"postgresql, {processes} process(es)", durable(
                        url, processes, args.runs, args.concurrency, folder)))
                pg_paths = checkpoint_paths(create_database(server, "paths"), 500)
    print(f"durable runs/s, 10-action workflow, {args.runs} runs, {args.concurrency} "
          "in flight per process:")
    for name, rate in results:
        print(f"  {name:28s} {rate:8.0f} runs/s")
    print(f"sqlite, 2 processes, the lease holder stops with runs in flight "
          f"({args.handover_runs} runs, {handed['in_flight']:.0f} in flight there): all "
          f"ended {handed['after_stop']:.2f} s after the stop (the lease taken over after "
          f"{handed['lease_taken']:.2f} s); {handed['runs_per_second']:.0f} runs/s overall")
    print("checkpoint records/s on SQLite:")
    for name, rate in paths.items():
        print(f"  {name:44s} {rate:9.0f}")
    if not args.no_postgres:
        print("checkpoint records/s on PostgreSQL:")
        for name, rate in pg_paths.items():
            print(f"  {name:44s} {rate:9.0f}")
    if not args.no_http:
        report_served(served(args.http_seconds, args.foreach_items), args.foreach_items)
    sqlite_one = results[0][1]
    if sqlite_one < 550:
        print(f"below the goal of 550 runs/s on SQLite: {sqlite_one:.0f}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
