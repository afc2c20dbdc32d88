"""SFTP and the file system on the real ``portway serve``: a Standard project whose SFTP
trigger (with content) fires for each uploaded file and whose File System action copies
it into an allowed local folder; the connections' values come from app settings."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.runtime.cli.test_workflows_cli import _portway
from tests.support.file_servers import PASSWORD, USER, sftp_server
from tests.support.servers import portway_process

pytestmark = pytest.mark.slow

SCHEMA = ("https://schema.management.azure.com/providers/Microsoft.Logic/schemas/"
          "2016-06-01/workflowdefinition.json#")


def _write(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value), encoding="utf-8")


def project(root: Path, port: int, fingerprint: str, archive: Path) -> Path:
    folder = root / "project"
    _write(folder / "host.json", {"version": "2.0"})
    _write(folder / "local.settings.json", {"IsEncrypted": False, "Values": {
        "SFTP_PORT": str(port), "SFTP_PASSWORD": PASSWORD, "SFTP_FINGERPRINT": fingerprint,
        "ARCHIVE_FOLDER": str(archive)}})
    _write(folder / "connections.json", {"serviceProviderConnections": {
        "sftp": {"serviceProvider": {"id": "/serviceProviders/Sftp"}, "parameterValues": {
            "sshHostAddress": "127.0.0.1", "portNumber": "@appsetting('SFTP_PORT')",
            "username": USER, "password": "@appsetting('SFTP_PASSWORD')",
            "sshHostKeyFingerprint": "@appsetting('SFTP_FINGERPRINT')"}},
        "archive": {"serviceProvider": {"id": "/serviceProviders/FileSystem"},
                    "parameterValues": {"rootFolder": "@appsetting('ARCHIVE_FOLDER')"}}}})
    _write(folder / "Archive" / "workflow.json", {"kind": "Stateful", "definition": {
        "$schema": SCHEMA, "contentVersion": "1.0.0.0",
        "triggers": {"When_files_are_added": {
            "type": "ServiceProvider",
            "inputs": {"parameters": {"folderPath": "/upload", "includeFileContent": True},
                       "serviceProviderConfiguration": {
                           "connectionName": "sftp",
                           "operationId": "whenFilesAreAddedOrModified",
                           "serviceProviderId": "/serviceProviders/Sftp"}},
            "recurrence": {"frequency": "Second", "interval": 1},
            "splitOn": "@triggerOutputs()?['body']"}},
        "actions": {"Keep_a_copy": {
            "type": "ServiceProvider", "runAfter": {},
            "inputs": {"parameters": {
                "filePath": "@{triggerBody()?['fileMetadata']?['name']}",
                "body": "@triggerBody()?['content']"},
                "serviceProviderConfiguration": {
                    "connectionName": "archive", "operationId": "createFile",
                    "serviceProviderId": "/serviceProviders/FileSystem"}}}}}})
    return folder


def test_each_sftp_upload_is_copied_into_the_archive_folder(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    env = {"PORTWAY_EGRESS_ALLOW": "127.0.0.1/32", "PORTWAY_RUNTIME_TRIGGER_SECONDS": "0.2",
           "PORTWAY_RUNTIME_FILESYSTEM_ROOTS": str(tmp_path / "archive")}
    files = {"a.csv": b"id\n1\n", "b.bin": bytes(range(200))}
    with sftp_server(tmp_path / "sftp") as server, \
            portway_process(tmp_path, env) as (base, _):
        (server.root / "upload").mkdir()
        folder = project(tmp_path, server.port, server.fingerprints[1], archive)
        deployed = _portway(tmp_path, "workflows", "deploy", str(folder))
        assert deployed.returncode == 0, deployed.stderr
        for name, data in files.items():
            (server.root / "upload" / name).write_bytes(data)
        token = (tmp_path / "var" / "owner.token").read_text().strip()
        with httpx.Client(base_url=base, headers={"authorization": f"Bearer {token}"},
                          timeout=30) as client:
            deadline = time.monotonic() + 40
            runs: list[dict[str, Any]] = []
            while time.monotonic() < deadline:
                runs = client.get("/v1/workflows/Archive/runs").json()["value"]
                if len(runs) == 2 and all(r["status"] == "Succeeded" for r in runs):
                    break
                time.sleep(0.3)
            records = [client.get(f"/v1/runs/{r['id']}").json() for r in runs]
    assert [r["status"] for r in records] == ["Succeeded", "Succeeded"], records
    assert {p.name: p.read_bytes() for p in archive.iterdir()} == files
    shown = sorted(r["actions"]["Keep_a_copy"]["outputs"]["body"]["path"] for r in records)
    assert shown == ["/a.csv", "/b.bin"]
    log = (tmp_path / "portway.log").read_text(errors="replace")
    assert PASSWORD not in log and "Traceback" not in log
