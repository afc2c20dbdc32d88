"""The data plane pipeline's CPU per call, in process and step by step.

Run: ``.venv/bin/python bench/proxy_steps.py [--calls N] [--concurrency C] [--rounds R]
[--steps] [--gc-threshold A,B,C] [--profile FILE]``.

Where ``bench/proxy_cpu.py`` drives the whole ASGI app, this drives only the pipeline:
``Proxy.run_path`` with a ``Call`` built as the HTTP layer builds one (the caller's
headers read by ``CallerHeaders``, a request id, the query split), against the nginx
upstream of ``bench/proxy.py`` with its whole pipeline on (access policy, routing,
request validation, throttling, a ``setheader`` policy, API-key injection, the egress
guard, metrics). ``C`` tasks send ``N`` calls a round on uvloop; the CPU time of the
round (this process, user and system) divided by its calls is one figure, and the best
of ``R`` rounds is printed, since other work on a shared machine only ever adds to it.
The answer's headers go through ``relay_headers`` as the HTTP layer's would.

``--steps`` adds a breakdown: the steps of ``Proxy`` called one by one for ``N`` calls in
sequence, µs per call each on the wall clock (the upstream call's share includes waiting
for nginx, so it reads higher than within the concurrent figure).
``--gc-threshold`` sets ``gc.set_threshold`` before measuring (the gateway leaves
Python's default, 700,10,10) and the report says how many collections ran per 1,000
calls and the CPU they took. ``--profile`` writes a cProfile of one more round timed on
CPU time (read it with ``python -m pstats``).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import os
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.proxy import PAYLOAD, seeded_upstream  # noqa: E402

#: The caller's headers as an HTTP server hands them over (``bench/proxy.py``'s wrk).
CALLER_HEADERS = [(b"host", b"127.0.0.1:8080"), (b"user-agent", b"wrk"), (b"accept", b"*/*")]

STEPS = ("check_access", "route", "check_supported", "fill_defaults", "validate_request",
         "throttle", "apply_request_policies", "check_secrets_origin",
         "inject_credentials", "upstream_url", "send", "apply_response_policies",
         "validate_response", "finish", "relay_headers")


class CollectorWatch:
    """Counts the cyclic collector's runs and the CPU they take (``gc.callbacks``)."""

    def __init__(self) -> None:
        self.runs = [0, 0, 0]
        self.seconds = 0.0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.process_time()
        else:
            self.runs[info["generation"]] += 1
            self.seconds += time.process_time() - self._started

    def reset(self) -> None:
        self.runs = [0, 0, 0]
        self.seconds = 0.0


async def measure(environment: dict[str, str], token: str, args: argparse.Namespace
                  ) -> None:
    from gateway.api.dataplane import _query_pairs
    from gateway.app import create_app
    from gateway.ids import new_request_id
    from gateway.proxy.call import Call
    from gateway.proxy.headers import CallerHeaders, relay_headers
    from gateway.settings import load_settings

    app = create_app(load_settings(environ=environment), extensions=[])
    async with app.router.lifespan_context(app):
        proxy = app.state.proxy
        principal = app.state.services.principals.authenticate(token)
        raw_headers = [*CALLER_HEADERS, (b"authorization", f"Bearer {token}".encode())]

        def new_call() -> Call:
            incoming = CallerHeaders(raw_headers)
            request_id = new_request_id()
            incoming.outbound["x-ms-client-request-id"] = request_id
            return Call(request_id=request_id, principal=principal,
                        connection="bench-conn", connector_id="bench", method="GET",
                        path="/items/42", query=_query_pairs("q=abc"),
                        headers=incoming.outbound, body=None,
                        content_length=incoming.content_length,
                        gateway_origin="http://" + incoming.host)

        async def one_call() -> None:
            response = await proxy.run_path(new_call())
            relay_headers(response.headers)
            if response.content != PAYLOAD.encode():
                raise SystemExit(f"the pipeline answered {response.status}")

        if args.gc_threshold:
            gc.set_threshold(*(int(n) for n in args.gc_threshold.split(",")))
        watch = CollectorWatch()
        gc.callbacks.append(watch)
        await drive(one_call, 2000, args.concurrency)  # warm caches and pools
        rounds = []
        for _round in range(args.rounds):
            watch.reset()
            user, system = await drive(one_call, args.calls, args.concurrency)
            rounds.append(((user + system) / args.calls * 1e6, system / args.calls * 1e6,
                           list(watch.runs), watch.seconds / args.calls * 1e6))
        print("CPU us per call (of which system), by round: " + ", ".join(
            f"{r[0]:.1f} ({r[1]:.1f})" for r in rounds))
        best = min(rounds)
        per_thousand = "/".join(f"{n * 1000 / args.calls:.1f}" for n in best[2])
        print(f"best of {args.rounds}: {best[0]:.1f} us per call, {best[1]:.1f} of it system "
              f"({args.calls} calls a round, {args.concurrency} concurrent); collections "
              f"per 1,000 calls by generation {per_thousand}, {best[3]:.1f} us per call in "
              f"them (threshold "
              f"{','.join(map(str, gc.get_threshold()))})")
        if args.steps:
            await steps_breakdown(proxy, new_call, args.calls)
        if args.profile:
            profiler = cProfile.Profile(time.process_time)
            profiler.enable()
            await drive(one_call, args.calls, args.concurrency)
            profiler.disable()
            profiler.dump_stats(args.profile)


async def drive(one_call: Callable[[], Awaitable[None]], calls: int, concurrency: int
                ) -> tuple[float, float]:
    """``calls`` calls from ``concurrency`` tasks; the user and system CPU seconds."""
    left = calls

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            await one_call()

    before = os.times()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    after = os.times()
    return after.user - before.user, after.system - before.system


async def steps_breakdown(proxy: Any, new_call: Callable[[], Any], calls: int) -> None:
    """The pipeline's steps one by one, in ``Proxy``'s order, CPU µs per call each."""
    from gateway.proxy import steps
    from gateway.proxy.headers import relay_headers

    spent = dict.fromkeys(("new_call", *STEPS), 0.0)
    # The wall clock: reading the process's CPU clock is a system call that costs more
    # than most steps; in sequence and without awaiting, a step's wall time is its CPU
    # time (the upstream call's includes the wait for nginx).
    clock = time.perf_counter
    services = proxy.services
    for _ in range(calls):
        a = clock()
        call = new_call()
        b = clock()
        spent["new_call"] += b - a
        await steps.check_access(call, proxy.connections, services)
        a = clock()
        spent["check_access"] += a - b
        steps.route(call)
        b = clock()
        spent["route"] += b - a
        steps.check_supported(call)
        a = clock()
        spent["check_supported"] += a - b
        await steps.fill_defaults(call, proxy._max_body)
        b = clock()
        spent["fill_defaults"] += b - a
        await steps.validate_request(call, proxy._max_body)
        a = clock()
        spent["validate_request"] += a - b
        await steps.throttle(call, proxy.throttle)
        b = clock()
        spent["throttle"] += b - a
        await steps.apply_request_policies(call)
        a = clock()
        spent["apply_request_policies"] += a - b
        steps.check_secrets_origin(call)
        b = clock()
        spent["check_secrets_origin"] += b - a
        await steps.inject_credentials(call, services)
        a = clock()
        spent["inject_credentials"] += a - b
        url = steps.upstream_url(call)
        b = clock()
        spent["upstream_url"] += b - a
        response = await proxy.send(call, call.method, url, call.headers, call.body)
        call.response = response
        a = clock()
        spent["send"] += a - b
        response = await steps.apply_response_policies(call, response)
        b = clock()
        spent["apply_response_policies"] += b - a
        await steps.validate_response(call, response, proxy._max_response)
        a = clock()
        spent["validate_response"] += a - b
        proxy._finish(call, response.status, 0.0)
        b = clock()
        spent["finish"] += b - a
        relay_headers(response.headers)
        spent["relay_headers"] += clock() - b
    print(f"steps, {calls} calls in sequence, us per call:")
    for name, seconds in spent.items():
        print(f"  {name:24} {seconds / calls * 1e6:6.1f}")
    print(f"  {'sum':24} {sum(spent.values()) / calls * 1e6:6.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000, help="calls per round")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent calls")
    parser.add_argument("--rounds", type=int, default=5, help="rounds; the best is shown")
    parser.add_argument("--steps", action="store_true", help="add the step breakdown")
    parser.add_argument("--gc-threshold", help="gc.set_threshold values, e.g. 7000,20,20")
    parser.add_argument("--profile", help="write a cProfile of one more round here")
    args = parser.parse_args()
    import uvloop

    with seeded_upstream() as (environment, token):
        uvloop.run(measure(environment, token, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
