"""Connections stored before secret bindings existed are bound at the next start (issue 13,
item 3, the upgrade path), through the real ``portway serve``.

Migration 0003 added ``connections.secrets_origins`` as NULL for every connection it found.
The start after the upgrade binds each to the connector version that was current when its
secrets were written: a connector moved to another host before the upgrade does not carry
older secrets along.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.security.conftest import Recorder, items_spec, recorder_app
from tests.support.servers import portway_process, serve_in_thread

OLD_KEY = "sk-entered-before-the-move-0001"
NEW_KEY = "sk-entered-after-the-move-0002"
ENV = {"PORTWAY_EGRESS_ALLOW": "127.0.0.1/32"}


@pytest.fixture()
def hosts() -> Iterator[tuple[Recorder, Recorder]]:
    first, second = Recorder(), Recorder()
    with serve_in_thread(recorder_app(first)) as first_url, \
            serve_in_thread(recorder_app(second)) as second_url:
        first.url, second.url = first_url, second_url
        yield first, second


def _client(base: str, workdir: Path) -> httpx.Client:
    token = (workdir / "var" / "owner.token").read_text().strip()
    return httpx.Client(base_url=base, timeout=30, headers={"authorization": f"Bearer {token}"})


def _put_spec(client: httpx.Client, spec: dict[str, object], **params: str) -> httpx.Response:
    return client.put("/v1/connectors/legacy", params=params, content=json.dumps(spec),
                      headers={"content-type": "application/json"})


def test_the_first_start_after_the_upgrade_binds_secrets_to_where_they_were_entered(
        tmp_path: Path, hosts: tuple[Recorder, Recorder]) -> None:
    entered_for, moved_to = hosts
    with portway_process(tmp_path, ENV) as (base, _), _client(base, tmp_path) as owner:
        assert _put_spec(owner, items_spec(entered_for.url)).status_code == 201
        assert owner.put("/v1/connections/old", json={
            "connector": "legacy", "parameters": {"api_key": OLD_KEY}}).status_code == 201
        time.sleep(0.05)  # the move comes strictly after the old secrets were written
        assert _put_spec(owner, items_spec(moved_to.url),
                         allowBreaking="true").status_code == 200
        time.sleep(0.05)
        assert owner.put("/v1/connections/fresh", json={
            "connector": "legacy", "parameters": {"api_key": NEW_KEY}}).status_code == 201

    # What migration 0003 left behind: no binding at all.
    with sqlite3.connect(tmp_path / "var" / "portway.db") as db:
        db.execute("UPDATE connections SET secrets_origins = NULL")
    moved_to.seen.clear()

    with portway_process(tmp_path, ENV) as (base, _), _client(base, tmp_path) as owner:
        old = owner.get("/v1/connections/old").json()
        fresh = owner.get("/v1/connections/fresh").json()
        assert old["secretsBoundTo"] == [entered_for.url]
        assert fresh["secretsBoundTo"] == [moved_to.url]

        refused = owner.get("/apim/legacy/old/items/1")
        assert refused.status_code == 409, refused.text
        assert refused.json()["error"]["code"] == "SecretsOriginChanged"
        assert owner.get("/apim/legacy/fresh/items/1").status_code == 200
    sent = json.dumps(moved_to.seen)
    assert NEW_KEY in sent
    assert OLD_KEY not in sent
    assert "bound connections stored before secret bindings existed" in \
        (tmp_path / "portway.log").read_text()


def test_a_connection_whose_connector_is_gone_is_bound_to_nothing(
        tmp_path: Path, hosts: tuple[Recorder, Recorder]) -> None:
    entered_for, _ = hosts
    with portway_process(tmp_path, ENV) as (base, _), _client(base, tmp_path) as owner:
        assert _put_spec(owner, items_spec(entered_for.url)).status_code == 201
        assert owner.put("/v1/connections/orphan", json={
            "connector": "legacy", "parameters": {"api_key": OLD_KEY}}).status_code == 201
    with sqlite3.connect(tmp_path / "var" / "portway.db") as db:
        db.execute("UPDATE connections SET secrets_origins = NULL, connector_id = 'gone'")
    with portway_process(tmp_path, ENV) as (base, _), _client(base, tmp_path) as owner:
        assert owner.get("/v1/connections/orphan").json()["secretsBoundTo"] == []
