"""The data plane's CPU per call, in process: steadier than requests per second.

Run: ``.venv/bin/python bench/proxy_cpu.py [--calls N] [--concurrency C] [--rounds R]
[--profile FILE]``.

Drives the gateway's ASGI app in this process, without an HTTP server, against an nginx
upstream on loopback, with the whole pipeline of ``bench/proxy.py`` on (bearer token,
access policy, request validation, throttling, API-key injection, a ``setheader``
policy). ``C`` tasks send ``N`` calls a round on uvloop; each round's CPU time (user and
system, this process) is divided by its calls, and the best round of ``R`` is printed,
since other work on a shared machine only ever adds to it. ``--profile`` writes a
cProfile of one more round (read it with ``python -m pstats``).

Wall-clock throughput moves with whatever else the machine runs; CPU time per call moves
much less. Hardware instruction counters would be steadier still, but are not offered
everywhere (``perf stat -e instructions true`` says ``<not supported>`` in many
containers).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.proxy import PATH, PAYLOAD, seeded_upstream  # noqa: E402

PROXIED = "/apim/bench/bench-conn" + PATH


def call_scope(token: str) -> dict[str, Any]:
    """The ASGI scope an HTTP server would hand the app for one proxied GET."""
    path, _, query = PROXIED.partition("?")
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
        "query_string": query.encode(), "server": ("127.0.0.1", 8080),
        "client": ("127.0.0.1", 50000),
        "headers": [(b"host", b"127.0.0.1:8080"), (b"user-agent", b"wrk"),
                    (b"accept", b"*/*"), (b"authorization", f"Bearer {token}".encode())],
    }


async def one_call(app: Any, token: str) -> None:
    answer: dict[str, Any] = {}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        elif message["type"] == "http.response.body":
            answer["body"] = answer.get("body", b"") + message.get("body", b"")

    await app(call_scope(token), receive, send)
    if answer.get("status") != 200 or answer.get("body") != PAYLOAD.encode():
        raise SystemExit(f"the gateway answered {answer!r}")


async def drive(app: Any, token: str, calls: int, concurrency: int) -> tuple[float, float]:
    """Send ``calls`` calls from ``concurrency`` tasks; user and system CPU seconds."""
    left = calls

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            await one_call(app, token)

    before = os.times()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    after = os.times()
    return after.user - before.user, after.system - before.system


async def measure(environment: dict[str, str], token: str, args: argparse.Namespace
                  ) -> list[tuple[float, float]]:
    from gateway.app import create_app
    from gateway.settings import load_settings

    app = create_app(load_settings(environ=environment), extensions=[])
    async with app.router.lifespan_context(app):
        await drive(app, token, 2000, args.concurrency)  # warm caches and pools
        per_call = []
        for _round in range(args.rounds):
            user, system = await drive(app, token, args.calls, args.concurrency)
            per_call.append((user / args.calls * 1e6, system / args.calls * 1e6))
        if args.profile:
            # CPU time, not the wall clock: on a shared machine a call that wakes the
            # upstream is often preempted by it, and that wait is not the gateway's.
            profiler = cProfile.Profile(time.process_time)
            profiler.enable()
            await drive(app, token, args.calls, args.concurrency)
            profiler.disable()
            profiler.dump_stats(args.profile)
    return per_call


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10_000, help="calls per round")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent calls")
    parser.add_argument("--rounds", type=int, default=5, help="rounds; the best is shown")
    parser.add_argument("--profile", help="write a cProfile of one more round here")
    args = parser.parse_args()
    import uvloop

    with seeded_upstream() as (environment, token):
        per_call = uvloop.run(measure(environment, token, args))
    print("CPU us per call (user + system), by round: " + ", ".join(
        f"{user + system:.1f} ({user:.1f} + {system:.1f})" for user, system in per_call))
    user, system = min(per_call, key=sum)
    print(f"best of {args.rounds}: {user + system:.1f} us per call, {user:.1f} user and "
          f"{system:.1f} system ({args.calls} calls a round, {args.concurrency} concurrent; "
          f"load average {os.getloadavg()[0]:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
