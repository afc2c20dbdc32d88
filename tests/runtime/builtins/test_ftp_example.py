"""The seed's first example, end to end: ``docs/examples/ftp-file-added`` deployed as it
ships to the real ``portway serve``, files uploaded to a real FTP server, one run per
file with its name, path and content in the run record."""

from __future__ import annotations

import base64
import ftplib
import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.runtime.cli.test_workflows_cli import _portway
from tests.support.file_servers import PASSWORD, USER, FileServer, ftp_server
from tests.support.servers import portway_process

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "ftp-file-added"
SERVE_ENV = {"PORTWAY_EGRESS_ALLOW": "127.0.0.1/32", "PORTWAY_RUNTIME_TRIGGER_SECONDS": "0.2"}


def upload(server: FileServer, path: str, data: bytes) -> None:
    with ftplib.FTP() as client:
        client.connect("127.0.0.1", server.port)
        client.login(USER, PASSWORD)
        client.storbinary(f"STOR {path}", io.BytesIO(data))


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[tuple[httpx.Client, FileServer]]:
    with ftp_server(tmp_path / "ftp") as server, \
            portway_process(tmp_path, SERVE_ENV) as (base, _):
        (server.root / "inbox").mkdir()
        deployed = _portway(tmp_path, "workflows", "deploy", str(EXAMPLE))
        assert deployed.returncode == 0, deployed.stderr
        token = (tmp_path / "var" / "owner.token").read_text().strip()
        with httpx.Client(base_url=base, headers={"authorization": f"Bearer {token}"},
                          timeout=30) as client:
            # Where this test's FTP server is; everything else is the folder as shipped.
            answer = client.put("/v1/appsettings", json={
                "FTP_PORT": str(server.port), "FTP_PASSWORD": PASSWORD,
                "FTP_POLL_SECONDS": "1"})
            assert answer.status_code < 300, answer.text
            yield client, server
    log = (tmp_path / "portway.log").read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]


def finished_runs(client: httpx.Client, count: int, timeout: float = 40) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    runs: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        listed = client.get("/v1/workflows/FileAdded/runs").json()["value"]
        runs = [client.get(f"/v1/runs/{r['id']}").json() for r in listed]
        if len(runs) >= count and all(r["status"] not in ("Running", "Waiting") for r in runs):
            break
        time.sleep(0.3)
    return runs


@pytest.mark.slow
def test_each_uploaded_file_starts_one_run_with_its_name_path_and_content(
        gateway: tuple[httpx.Client, FileServer]) -> None:
    client, server = gateway
    files = {"/inbox/order-1.csv": b"id,total\n1,9.50\n",
             "/inbox/order-2.json": b'{"id": 2}',
             "/inbox/scan.bin": bytes(range(256))}
    for path, data in files.items():
        upload(server, path, data)
    runs = finished_runs(client, 3)
    assert sorted(r["trigger"]["outputs"]["body"]["path"] for r in runs) == sorted(files)
    for record in runs:
        assert record["status"] == "Succeeded", record
        item = record["trigger"]["outputs"]["body"]
        data = files[item["path"]]
        assert item["name"] == item["path"].rsplit("/", 1)[1]
        assert item["size"] == len(data) and item["isFolder"] is False
        added = record["actions"]["File_added"]["outputs"]
        assert {k: added[k] for k in ("name", "path", "size")} == {
            "name": item["name"], "path": item["path"], "size": len(data)}
        content = record["actions"]["Get_file_content"]["outputs"]["body"]
        assert base64.b64decode(content["$content"]) == data
        if item["name"] != "scan.bin":
            shown = record["actions"]["File_with_content"]["outputs"]
            assert shown == {"name": item["name"], "path": item["path"],
                             "content": data.decode()}

    upload(server, "/inbox/order-1.csv", b"id,total\n1,19.50\n")  # modified: one more run
    runs = finished_runs(client, 4)
    per_file: dict[str, int] = {}
    for record in runs:
        path = record["trigger"]["outputs"]["body"]["path"]
        per_file[path] = per_file.get(path, 0) + 1
    assert per_file == {"/inbox/order-1.csv": 2, "/inbox/order-2.json": 1, "/inbox/scan.bin": 1}
    newest = max((r for r in runs if r["trigger"]["outputs"]["body"]["path"]
                  == "/inbox/order-1.csv"), key=lambda r: r["startTime"])
    assert newest["actions"]["File_with_content"]["outputs"]["content"] == "id,total\n1,19.50\n"
