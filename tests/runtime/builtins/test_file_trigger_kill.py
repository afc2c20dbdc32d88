"""Exactly once, counted: the FTP example's trigger on the real ``portway serve``, killed
with SIGKILL while a poll hangs in the FTP server's listing, and again right after it fired
runs; after each restart every uploaded file has started exactly one run."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.runtime.builtins.test_ftp_example import EXAMPLE, upload
from tests.runtime.cli.test_workflows_cli import _portway
from tests.runtime.engine.test_kill import _kill_tree, _wait, database_env
from tests.support.file_servers import PASSWORD, Gate, ftp_server
from tests.support.servers import portway_process

__all__ = ["database_env"]

pytestmark = pytest.mark.slow


def runs_per_file(client: httpx.Client) -> dict[str, int]:
    counts: dict[str, int] = {}
    listed = client.get("/v1/workflows/FileAdded/runs", params={"top": 200}).json()["value"]
    for summary in listed:
        record = client.get(f"/v1/runs/{summary['id']}").json()
        path = record["trigger"]["outputs"]["body"]["path"]
        counts[path] = counts.get(path, 0) + 1
    return counts


def test_every_file_starts_exactly_one_run_across_kills_mid_poll_and_after_firing(
        tmp_path: Path, database_env: dict[str, str]) -> None:
    gate = Gate()
    env = {**database_env, "PORTWAY_RUNTIME_TRIGGER_SECONDS": "0.2"}
    with ftp_server(tmp_path / "ftp", gate=gate) as server:
        (server.root / "inbox").mkdir()
        with portway_process(tmp_path, env) as (base, process):
            deployed = _portway(tmp_path, "workflows", "deploy", str(EXAMPLE), "--url", base,
                                "--token-file", str(tmp_path / "var" / "owner.token"))
            assert deployed.returncode == 0, deployed.stderr
            token = (tmp_path / "var" / "owner.token").read_text().strip()
            auth = {"authorization": f"Bearer {token}"}
            client = httpx.Client(base_url=base, headers=auth, timeout=30)
            client.put("/v1/appsettings", json={"FTP_PORT": str(server.port),
                                                "FTP_PASSWORD": PASSWORD,
                                                "FTP_POLL_SECONDS": "1"})
            for name in ("a", "b"):
                upload(server, f"/inbox/{name}.txt", name.encode())
            _wait(lambda: len(runs_per_file(client)) == 2)
            for name in ("c", "d"):
                upload(server, f"/inbox/{name}.txt", name.encode())
            gate.closed.set()  # the next poll hangs in the listing...
            assert gate.held.wait(30)
            _kill_tree(process.pid)  # ...and the server dies mid-poll
            process.wait(10)
            client.close()
        gate.closed.clear()

        with portway_process(tmp_path, env) as (base, process):
            client = httpx.Client(base_url=base, headers=auth, timeout=30)
            _wait(lambda: set(runs_per_file(client)) >= {f"/inbox/{n}.txt" for n in "abcd"})
            for name in ("e", "f", "g"):
                upload(server, f"/inbox/{name}.txt", name.encode())
            _wait(lambda: len(runs_per_file(client)) > 4, timeout=30)
            _kill_tree(process.pid)  # right after the poll that fired committed its runs
            process.wait(10)
            client.close()

        with portway_process(tmp_path, env) as (base, _):
            client = httpx.Client(base_url=base, headers=auth, timeout=30)
            expected = {f"/inbox/{n}.txt": 1 for n in "abcdefg"}
            _wait(lambda: set(runs_per_file(client)) == set(expected))
            time.sleep(3)  # three more polls: nothing fires again
            counts = runs_per_file(client)
            statuses = _wait(lambda: _settled(client))
            client.close()
    assert counts == expected
    assert statuses == ["Succeeded"] * 7  # runs cut short by a kill resumed and finished


def _settled(client: httpx.Client) -> list[str] | None:
    listed = client.get("/v1/workflows/FileAdded/runs", params={"top": 200}).json()["value"]
    statuses = [run["status"] for run in listed]
    return statuses if not {"Running", "Waiting"} & set(statuses) else None
