"""Streaming through the real ``portway serve``: 100 MB down and 100 MB up, with the
server's peak resident memory (VmHWM, over its processes) growing by under 50 MB."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.services import build_services
from gateway.settings import load_settings
from tests.gateway.proxy.conftest import Upstream, add_connection, build_connector
from tests.support import web
from tests.support.servers import portway_process

SIZE = 100 * 1024 * 1024
LIMIT = 50 * 1024 * 1024


def _tree(pid: int) -> list[int]:
    found = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text().split()
        for child in children:
            found.extend(_tree(int(child)))
    return found


def _peak_rss(pid: int) -> dict[int, int]:
    peaks = {}
    for member in _tree(pid):
        for line in Path(f"/proc/{member}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks[member] = int(line.split()[1]) * 1024
    return peaks


def _chunks() -> Iterator[bytes]:
    block = b"u" * 65536
    for _ in range(SIZE // len(block)):
        yield block


@pytest.mark.slow
def test_100_mb_stream_through_in_both_directions(tmp_path: Path, upstream: Upstream) -> None:
    if not Path("/proc/self/status").exists():
        pytest.skip("needs /proc to read the server's peak memory")
    environment = {
        "PORTWAY_DATABASE_URL": f"sqlite:///{tmp_path / 'portway.db'}",
        "PORTWAY_SECURITY_MASTER_KEY_FILE": str(tmp_path / "master.key"),
        "PORTWAY_SECURITY_OWNER_TOKEN_FILE": str(tmp_path / "owner.token"),
        "PORTWAY_CATALOGUE_DIRECTORY": str(tmp_path / "none"),
        "PORTWAY_EGRESS_ALLOW": "127.0.0.1/32",
        "PORTWAY_LOG_LEVEL": "warning",
    }
    services = build_services(load_settings(environ=environment))
    add_connection(services, build_connector(upstream.url + "/api", proxy={
        "rateLimitCalls": 0, "totalTimeout": 100}))
    token = services.principals.create_token("streamer", "owner")
    services.db.dispose()
    with portway_process(tmp_path, env={**os.environ, **environment}) as (url, process):
        headers = {"authorization": f"Bearer {token}"}
        with web.Client(base_url=url, headers=headers, timeout=120) as client:
            assert client.get("/apim/demo/demo-conn/items/1").status_code == 200
            before = _peak_rss(process.pid)
            received = 0
            with client.stream("GET", "/apim/demo/demo-conn/huge",
                               params={"bytes": str(SIZE)}) as response:
                assert response.status_code == 200
                for chunk in response.iter_raw():
                    received += len(chunk)
            uploaded = client.put("/apim/demo/demo-conn/upload", content=_chunks(),
                                  headers={"content-type": "application/octet-stream"})
            after = _peak_rss(process.pid)
    assert received == SIZE
    assert uploaded.status_code == 200
    assert uploaded.json() == {"received": SIZE}
    growth = {pid: after.get(pid, 0) - peak for pid, peak in before.items()}
    print("peak RSS growth by process (bytes):", growth)
    assert max(growth.values()) < LIMIT, growth
