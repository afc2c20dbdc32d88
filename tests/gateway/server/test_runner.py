"""``gateway.server.serve`` as a process: the graceful stop, and worker processes kept
running. The app is a small one written here; the server is the real one."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import httpx

APP = textwrap.dedent('''
    import asyncio, os, sys
    from pathlib import Path
    from gateway.server import listen, serve

    MARK = Path(sys.argv[2])

    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    with MARK.open("a") as mark:
                        mark.write(f"stopped {os.getpid()}\\n")
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["path"] == "/slow":
            await asyncio.sleep(1.5)
        body = str(os.getpid()).encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", b"%d" % len(body))]})
        await send({"type": "http.response.body", "body": body})

    sock = listen("127.0.0.1", 0)
    print(sock.getsockname()[1], flush=True)
    sys.exit(serve(lambda: app, sock, workers=int(sys.argv[1])))
''')


def start(tmp_path: Path, workers: int) -> tuple[subprocess.Popen[str], str, Path]:
    script = tmp_path / "serve_app.py"
    script.write_text(APP)
    mark = tmp_path / "mark.txt"
    root = Path(__file__).resolve().parents[3]
    output = tmp_path / "serve.log"
    with output.open("w") as log:
        process = subprocess.Popen([sys.executable, str(script), str(workers), str(mark)],
                                   stdout=log, stderr=subprocess.STDOUT, text=True, cwd=root,
                                   env={**os.environ, "PYTHONPATH": str(root)})
    deadline = time.monotonic() + 20
    while not output.read_text().strip() and time.monotonic() < deadline:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{int(output.read_text().split()[0])}"
    while time.monotonic() < deadline:
        try:
            httpx.get(base + "/", timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.1)
    return process, base, mark


def pids_answering(base: str, tries: int = 60) -> set[str]:
    seen = set()
    for _ in range(tries):
        with httpx.Client() as fresh:  # a new connection each time
            seen.add(fresh.get(base + "/", timeout=5).text)
    return seen


def test_a_stop_lets_the_request_under_way_finish_then_runs_the_shutdown(tmp_path: Path
                                                                          ) -> None:
    process, base, mark = start(tmp_path, workers=1)
    answers: list[httpx.Response] = []
    slow = threading.Thread(target=lambda: answers.append(httpx.get(base + "/slow",
                                                                    timeout=10)))
    slow.start()
    time.sleep(0.5)
    process.send_signal(signal.SIGTERM)
    time.sleep(0.2)
    host, port = base.removeprefix("http://").split(":")
    with socket.socket() as probe:  # no longer accepting
        assert probe.connect_ex((host, int(port))) != 0
    slow.join(10)
    assert process.wait(10) == 0
    assert answers and answers[0].status_code == 200
    assert mark.read_text().startswith("stopped")


def test_workers_share_the_socket_and_a_dead_one_is_replaced(tmp_path: Path) -> None:
    process, base, mark = start(tmp_path, workers=2)
    try:
        first = pids_answering(base)
        assert len(first) == 2, first
        os.kill(int(sorted(first)[0]), signal.SIGKILL)
        deadline = time.monotonic() + 20
        now = set()
        while time.monotonic() < deadline:
            try:
                now = pids_answering(base, tries=20)
            except httpx.TransportError:
                continue
            if len(now) == 2 and now != first:
                break
        assert len(now) == 2 and sorted(first)[0] not in now
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(15) == 0
    assert mark.read_text().count("stopped") == 2  # each living worker stopped cleanly


def test_the_connection_cap_is_the_setting_or_the_raised_open_file_limit() -> None:
    import resource

    from gateway.server import connection_cap

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert connection_cap(100, 1024) == 100
    if hard == resource.RLIM_INFINITY or hard < 4096:
        return  # nothing to raise into on this machine
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))
    try:
        cap = connection_cap(0, 1024)
        raised = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert raised == hard  # the soft limit was raised, as far as it goes
    assert cap == max(hard // 2, hard - 1024 - 64)
