"""Serving: the listening socket, the worker processes, signals and the graceful stop.

One worker serves in the ``portway serve`` process itself. More than one
(``server.workers``) are forked from it after the socket is bound: each builds its own
app and event loop and accepts on the shared socket, and the first process watches them,
starting a worker again when one dies (unless they keep dying) and passing ``SIGTERM``
and ``SIGINT`` on.

On ``SIGTERM`` or ``SIGINT`` a worker stops accepting, closes its idle connections,
lets the requests under way finish for up to ``GRACE_SECONDS`` (their connections then
close), and runs the app's shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import signal
import socket
import sys
import time
from collections.abc import Callable

from starlette.types import ASGIApp

from gateway.errors import ConfigError
from gateway.logging import get_logger
from gateway.server.lifespan import Lifespan, LifespanFailed
from gateway.server.protocol import HttpProtocol, LaneFactory, ServerState

log = get_logger("portway.server")

#: How long requests under way may take to finish once a stop is asked for.
GRACE_SECONDS = 30.0
#: Idle time after which a kept-alive connection is closed.
KEEP_ALIVE_SECONDS = 75.0
#: How long a caller may take to send a request's line and headers.
HEADER_SECONDS = 30.0
#: A worker that dies this many times within ``RESTART_WINDOW`` seconds is not started
#: again, and ``portway serve`` exits.
MAX_RESTARTS = 5
RESTART_WINDOW = 60.0

AppFactory = Callable[[], ASGIApp]


def listen(host: str, port: int, backlog: int = 2048) -> socket.socket:
    """The listening socket (``ConfigError`` when the address is taken or wrong)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(backlog)
    sock.setblocking(False)
    return sock


def connection_cap(configured: int, reserved: int) -> int:
    """The callers' connections one worker keeps open: ``configured`` when above 0;
    else the open-file limit, its soft value first raised to the hard one (as the Go
    runtime does), less ``reserved`` (the upstream pool's total) and 64 for the store,
    logs and the listening socket; at least half the limit, though."""
    if configured > 0:
        return configured
    unlimited = resource.RLIM_INFINITY
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != unlimited and (hard == unlimited or soft < hard):
        target = hard if hard != unlimited else max(soft, 1 << 16)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass  # the soft limit stands
    limit = soft if soft != unlimited else 1 << 20
    return max(limit // 2, limit - reserved - 64, 1)


def serve(make_app: AppFactory, sock: socket.socket, workers: int = 1,
          lane: LaneFactory | None = None, max_connections: int = 0) -> int:
    """Serve on ``sock`` until stopped; the exit status. ``lane`` builds, once the app
    has started, the lane its claimed requests take past ASGI (``protocol.Lane``);
    ``max_connections`` caps each worker's open connections (0: no cap)."""
    if workers <= 1:
        return _run_worker(make_app, sock, lane, max_connections)
    return _supervise(make_app, sock, workers, lane, max_connections)


def _run_worker(make_app: AppFactory, sock: socket.socket, lane: LaneFactory | None,
                max_connections: int) -> int:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency; asyncio also serves
        return asyncio.run(_worker(make_app, sock, lane, max_connections))
    return uvloop.run(_worker(make_app, sock, lane, max_connections))


async def _worker(make_app: AppFactory, sock: socket.socket, lane: LaneFactory | None,
                  max_connections: int) -> int:
    loop = asyncio.get_running_loop()
    app = make_app()
    lifespan = Lifespan(app)
    try:
        await lifespan.startup()
    except LifespanFailed as failed:
        log.error("the gateway could not start", reason=str(failed))
        return 1
    state = ServerState(app, lifespan_state=lifespan.state,
                        keep_alive_seconds=KEEP_ALIVE_SECONDS, header_seconds=HEADER_SECONDS,
                        lane=lane(app) if lane is not None else None,
                        max_connections=max_connections)
    server = await loop.create_server(lambda: HttpProtocol(state), sock=sock)
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
        await _drain(server, state)
    try:
        await lifespan.shutdown()
    except LifespanFailed as failed:
        log.error("the gateway did not stop cleanly", reason=str(failed))
        return 1
    return 0


async def _drain(server: asyncio.Server, state: ServerState) -> None:
    """Stop accepting, close idle connections, give the rest ``GRACE_SECONDS``."""
    server.close()
    state.stopping = True
    for conn in list(state.connections):
        conn.close_if_idle()
    if state.tasks:
        _done, pending = await asyncio.wait(set(state.tasks), timeout=GRACE_SECONDS)
        for task in pending:
            task.cancel()
        if pending:
            log.warning("requests cut off by the stop", requests=len(pending))
            await asyncio.wait(pending, timeout=5)
    for conn in list(state.connections):
        conn.close()


def _supervise(make_app: AppFactory, sock: socket.socket, workers: int,
               lane: LaneFactory | None, max_connections: int) -> int:
    """Fork ``workers`` workers and keep them running until a stop is asked for."""
    children: set[int] = set()
    stopping = False
    deaths: list[float] = []

    def forward(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    def spawn() -> None:
        pid = os.fork()
        if pid == 0:  # the worker
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            status = 1
            try:
                status = _run_worker(make_app, sock, lane, max_connections)
            except BaseException as exc:
                log.error("a worker failed", error_type=type(exc).__name__, exc_info=exc)
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(status)
        children.add(pid)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    for _ in range(workers):
        spawn()
    status = 0
    while children:
        try:
            pid, code = os.wait()
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        children.discard(pid)
        if stopping:
            continue
        exit_code = os.waitstatus_to_exitcode(code)
        now = time.monotonic()
        deaths = [t for t in deaths if t > now - RESTART_WINDOW] + [now]
        if len(deaths) > MAX_RESTARTS:
            log.error("workers keep dying; stopping", exit_code=exit_code)
            forward(signal.SIGTERM, None)
            status = 1
            continue
        log.warning("a worker died; starting another", pid=pid, exit_code=exit_code)
        spawn()
    sock.close()
    return status
