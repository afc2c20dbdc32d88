"""``portway serve`` with two worker processes on one PostgreSQL store: both answer, the
data plane works through each, a killed worker is replaced, and a stop ends them all."""

from __future__ import annotations

import os
import signal
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.gateway.proxy.conftest import add_connection, build_connector
from tests.gateway.proxy.upstream_app import UpstreamState, build_upstream
from tests.support.databases import create_database, drop_database
from tests.support.servers import portway_process, serve_in_thread


def _children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(c) for c in (task / "children").read_text().split()}
    return found


@pytest.mark.slow
@pytest.mark.postgres
def test_two_workers_serve_one_store_and_a_dead_one_is_replaced(
        tmp_path: Path, postgres_server_url: str) -> None:
    from gateway.services import build_services
    from gateway.settings import load_settings

    url = create_database(postgres_server_url, "t_" + uuid.uuid4().hex[:12])
    environment = {"PORTWAY_DATABASE_URL": url, "PORTWAY_SERVER_WORKERS": "2",
                   "PORTWAY_EGRESS_ALLOW": "127.0.0.1/32",
                   "PORTWAY_SECURITY_MASTER_KEY_FILE": str(tmp_path / "var" / "master.key"),
                   "PORTWAY_SECURITY_OWNER_TOKEN_FILE": str(tmp_path / "var" / "owner.token")}
    try:
        with serve_in_thread(build_upstream(UpstreamState())) as upstream:
            services = build_services(load_settings(environ=environment))
            add_connection(services, build_connector(upstream + "/api", proxy={
                "rateLimitCalls": 0}))
            token = services.principals.create_token("caller", "owner")
            services.db.dispose()
            with portway_process(tmp_path, env={**os.environ, **environment}) as (base,
                                                                                   process):
                workers = _children(process.pid)
                assert len(workers) == 2, workers
                headers = {"authorization": f"Bearer {token}"}
                for _ in range(20):  # new connections, spread over both workers
                    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
                        answer = client.get("/apim/demo/demo-conn/items/7")
                        assert answer.status_code == 200, answer.text
                os.kill(sorted(workers)[0], signal.SIGKILL)
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    now = _children(process.pid)
                    if len(now) == 2 and now != workers:
                        break
                    time.sleep(0.2)
                assert len(now) == 2 and sorted(workers)[0] not in now
                with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
                    assert client.get("/apim/demo/demo-conn/items/8").status_code == 200
                process.send_signal(signal.SIGTERM)
                assert process.wait(30) == 0
                for pid in now:
                    assert not Path(f"/proc/{pid}").exists() or \
                        "zombie" in Path(f"/proc/{pid}/status").read_text()
    finally:
        drop_database(postgres_server_url, url.rsplit("/", 1)[1])
