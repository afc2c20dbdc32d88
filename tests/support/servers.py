"""Real servers on loopback for tests: ASGI apps under hypercorn in a thread, and
``portway serve`` in a subprocess."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from tests.support import web


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_responds(url: str, timeout: float = 30.0, process: Any = None) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    with web.Client(timeout=1.0) as client:
        while time.monotonic() < deadline:
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"the server exited with {process.returncode}")
            try:
                client.get(url)
                return
            except httpx.HTTPError as exc:
                last = exc
                time.sleep(0.02)
    raise TimeoutError(f"{url} did not respond in {timeout}s: {last}")


def raw_exchange(host: str, port: int, request: bytes, timeout: float = 10) -> bytes:
    """Send ``request`` as it is on one socket (no client normalises it); everything
    answered until the server closes (or ``timeout`` passes without a byte)."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(request)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except (TimeoutError, ConnectionResetError):
            pass
        return b"".join(chunks)


@contextlib.contextmanager
def serve_in_thread(app: Any, port: int | None = None) -> Iterator[str]:
    """Serve an ASGI app with hypercorn on loopback; yields its base URL."""
    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    port = port or free_port()
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    config.errorlog = None
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(serve(app, config, shutdown_trigger=stop.wait))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_responds(base + "/", timeout=10)
        yield base
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=10)
        if not thread.is_alive():
            loop.close()


@contextlib.contextmanager
def serve_portway_in_thread(app: Any, *, lane: bool = True) -> Iterator[str]:
    """Serve an ASGI app with Portway's own server (``gateway.server``) on loopback, with
    the data plane's lane (as ``portway serve`` does) unless ``lane`` is False; yields
    its base URL."""
    import uvloop

    from gateway.api.lane import data_plane_lane
    from gateway.server.lifespan import Lifespan
    from gateway.server.protocol import HttpProtocol, ServerState

    ready = threading.Event()
    box: dict[str, Any] = {}

    async def main() -> None:
        lifespan = Lifespan(app)
        await lifespan.startup()
        state = ServerState(app, lifespan_state=lifespan.state, keep_alive_seconds=30,
                            header_seconds=30, lane=data_plane_lane(app) if lane else None)
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: HttpProtocol(state), "127.0.0.1", 0)
        box.update(port=server.sockets[0].getsockname()[1], stop=asyncio.Event(), loop=loop)
        ready.set()
        await box["stop"].wait()
        server.close()
        for conn in list(state.connections):
            conn.close()
        await lifespan.shutdown()

    thread = threading.Thread(target=uvloop.run, args=(main(),), daemon=True)
    thread.start()
    if not ready.wait(30):
        raise TimeoutError("Portway's server did not start")
    try:
        yield f"http://127.0.0.1:{box['port']}"
    finally:
        box["loop"].call_soon_threadsafe(box["stop"].set)
        thread.join(timeout=10)


@contextlib.contextmanager
def portway_process(workdir: Path, env: dict[str, str] | None = None,
                    port: int | None = None) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Run the real ``portway serve`` in ``workdir``; yields (base URL, process)."""
    port = port or free_port()
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("PORTWAY_")}
    full_env.update(env or {})
    portway = Path(sys.executable).parent / "portway"
    log = open(workdir / "portway.log", "wb")  # closed below, after the process ends
    process = subprocess.Popen(
        [str(portway), "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=workdir, env=full_env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_responds(base + "/healthz", timeout=60, process=process)
        yield base, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
