"""Rotating a workflow's trigger-signing key (Logic Apps' regenerateAccessKey) with two
real ``portway serve`` processes on one PostgreSQL: a callback URL handed out by one
process works on the other; once the key is rotated through either, the old URL answers
401 on both at once and starts nothing, and a new URL works on both. A reader may not
rotate; the CLI rotates through ``--url`` too."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from tests.support.databases import create_database, drop_database
from tests.support.servers import portway_process

pytestmark = pytest.mark.slow

DEFINITION = {
    "$schema": "https://schema.management.azure.com/providers/Microsoft.Logic/schemas/"
               "2016-06-01/workflowdefinition.json#",
    "contentVersion": "1.0.0.0",
    "triggers": {"manual": {"type": "Request", "kind": "Http"}},
    "actions": {"Say": {"type": "Compose", "inputs": "hi", "runAfter": {}}}}


@pytest.fixture
def shared_env(tmp_path: Path, postgres_server_url: str) -> Iterator[dict[str, str]]:
    name = "r_" + uuid.uuid4().hex[:12]
    env = {"PORTWAY_DATABASE_URL": create_database(postgres_server_url, name),
           "PORTWAY_SECURITY_MASTER_KEY_FILE": str(tmp_path / "master.key"),
           "PORTWAY_SECURITY_OWNER_TOKEN_FILE": str(tmp_path / "owner.token"),
           "PORTWAY_CATALOGUE_DIRECTORY": str(tmp_path / "no-catalogue")}
    yield env
    drop_database(postgres_server_url, name)


def callback(client: httpx.Client) -> str:
    answer = client.post("/v1/workflows/signed/triggers/manual/callback-url")
    assert answer.status_code == 200, answer.text
    return str(answer.json()["value"])


def runs(client: httpx.Client) -> int:
    return len(client.get("/v1/workflows/signed/runs").json()["value"])


def test_a_rotated_key_revokes_old_urls_on_every_process_at_once(
        tmp_path: Path, shared_env: dict[str, str]) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with ExitStack() as stack:
        base_a, _ = stack.enter_context(portway_process(tmp_path / "a", shared_env))
        base_b, _ = stack.enter_context(portway_process(tmp_path / "b", shared_env))
        token = (tmp_path / "owner.token").read_text().strip()
        auth = {"authorization": f"Bearer {token}"}
        a = stack.enter_context(httpx.Client(base_url=base_a, headers=auth, timeout=30))
        b = stack.enter_context(httpx.Client(base_url=base_b, headers=auth, timeout=30))
        anonymous = stack.enter_context(httpx.Client(timeout=30))
        assert a.put("/v1/workflows/signed", json={"definition": DEFINITION}
                     ).status_code == 201
        old = callback(a)
        on_b = old.replace(base_a, base_b)
        assert anonymous.post(on_b, json={}).status_code == 202  # signed by A, run on B
        assert runs(a) == 1

        reader = a.post("/v1/tokens", json={"principal": "ro", "role": "reader"}).json()
        refused = a.post("/v1/workflows/signed/regenerateAccessKey",
                         headers={"authorization": f"Bearer {reader['token']}"})
        assert refused.status_code == 403
        assert anonymous.post(on_b, json={}).status_code == 202  # not rotated by a reader

        assert b.post("/v1/workflows/signed/regenerateAccessKey",
                      json={"keyType": "Primary"}).status_code == 200
        for url in (old, on_b):
            answer = anonymous.post(url, json={})
            assert answer.status_code == 401
            assert answer.json()["error"]["code"] == "DirectApiAuthorizationRequired"
        assert runs(a) == 2  # the two before the rotation only
        new = callback(b)
        assert new != on_b
        assert anonymous.post(new.replace(base_b, base_a), json={}).status_code == 202
        assert anonymous.post(new, json={}).status_code == 202

        bad = a.post("/v1/workflows/signed/regenerateAccessKey", json={"keyType": "Secondary"})
        assert bad.status_code == 400
        assert anonymous.post(new, json={}).status_code == 202  # a refusal changes nothing
        portway = Path(sys.executable).parent / "portway"
        done = subprocess.run([str(portway), "workflows", "rotate-key", "signed", "--url",
                               base_a, "--token", token], capture_output=True, text=True,
                              timeout=60, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert anonymous.post(new, json={}).status_code == 401
        assert runs(a) == 5  # every 202 started one run, no 401 did
