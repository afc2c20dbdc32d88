"""Exactly once, counted: the SQL example on the real ``portway serve`` killed with -9
mid-poll (its poll waiting on a writer that holds the table) and right after a poll fired,
then restarted; and two processes on one PostgreSQL store, one killed on the way. Every
customer row added starts exactly one run.

The customers live in a PostgreSQL database (the suite's server) so that a writer can
hold the table and keep the poll waiting; Portway's own store is SQLite or PostgreSQL."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from tests.runtime.builtins.sql_serve import (
    EXAMPLE,
    add_customers,
    create_customers,
    engine_for,
    wait_for_runs,
    wait_until_watching,
)
from tests.runtime.cli.test_workflows_cli import _portway
from tests.runtime.engine.test_kill import _kill_tree, _wait
from tests.support.databases import (
    create_database,
    create_owned_database,
    drop_database,
    drop_owned_database,
)
from tests.support.servers import portway_process

pytestmark = pytest.mark.slow


@pytest.fixture
def customers_url(postgres_server_url: str) -> Iterator[str]:
    name = "c_" + uuid.uuid4().hex[:12]
    url = create_owned_database(postgres_server_url, name)
    create_customers(url)
    yield url
    drop_owned_database(postgres_server_url, name)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[dict[str, str],
                                                                            str]]:
    """The environment of ``portway serve`` and the URL of its store."""
    env = {"PORTWAY_EGRESS_ALLOW": "127.0.0.1/32", "PORTWAY_RUNTIME_TRIGGER_SECONDS": "0.2",
           "PORTWAY_RUNTIME_LEASE_SECONDS": "2", "PORTWAY_RUNTIME_POLL_SECONDS": "0.1",
           "PORTWAY_SECURITY_MASTER_KEY_FILE": str(tmp_path / "master.key"),
           "PORTWAY_CATALOGUE_DIRECTORY": str(tmp_path / "no-catalogue")}
    if request.param == "sqlite":
        yield env, f"sqlite:///{tmp_path / 'a' / 'var' / 'portway.db'}"
        return
    server: str = request.getfixturevalue("postgres_server_url")
    name = "s_" + uuid.uuid4().hex[:12]
    url = create_database(server, name)
    yield {**env, "PORTWAY_DATABASE_URL": url}, url
    drop_database(server, name)


def project_for(tmp_path: Path, customers_url: str) -> Path:
    """The example project, its connection string pointed at the customers database."""
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project)
    settings = json.loads((project / "local.settings.json").read_text())
    settings["Values"]["SQL_CONNECTION_STRING"] = customers_url
    (project / "local.settings.json").write_text(json.dumps(settings))
    return project


def deploy(workdir: Path, base: str, project: Path) -> None:
    """``portway workflows deploy`` through the running gateway."""
    deployed = _portway(workdir, "workflows", "deploy", str(project), "--url", base,
                        "--token-file", "var/owner.token", "--json")
    assert deployed.returncode == 0, deployed.stderr


def client_of(workdir: Path, base: str) -> httpx.Client:
    token = (workdir / "var" / "owner.token").read_text().strip()
    return httpx.Client(base_url=base, headers={"authorization": f"Bearer {token}"},
                        timeout=30)


def waiting_for_the_table(customers_url: str) -> bool:
    """Whether a poll's SHARE lock on the table waits behind a writer."""
    engine = engine_for(customers_url)
    with engine.connect() as conn:
        waiting = conn.execute(sa.text(
            "SELECT count(*) FROM pg_locks WHERE relation = '\"Customers\"'::regclass "
            "AND mode = 'ShareLock' AND NOT granted")).scalar()
    engine.dispose()
    return bool(waiting)


def trigger_lease_holder(store_url: str) -> str:
    engine = engine_for(store_url)
    with engine.connect() as conn:
        holder = conn.execute(sa.text("SELECT holder FROM locks WHERE name = "
                                      "'service/runtime-triggers'")).scalar()
    engine.dispose()
    return str(holder)


def fired_not_started(store_url: str) -> int:
    engine = engine_for(store_url)
    with engine.connect() as conn:
        count = conn.execute(sa.text("SELECT count(*) FROM runtime_trigger_fires")).scalar()
        runs = conn.execute(sa.text("SELECT count(*) FROM runtime_runs")).scalar()
    engine.dispose()
    return int(count or 0) + int(runs or 0)


def test_kill_9_mid_poll_and_right_after_firing_starts_each_row_once(
        tmp_path: Path, customers_url: str, store: tuple[dict[str, str], str]) -> None:
    env, store_url = store
    workdir = tmp_path / "a"
    workdir.mkdir()
    project = project_for(tmp_path, customers_url)
    with portway_process(workdir, env) as (base, process):
        deploy(workdir, base, project)
        wait_until_watching(store_url)
        writer_engine = engine_for(customers_url)
        writer = writer_engine.connect()
        writer.begin()  # takes key 1 and holds the table until it commits
        writer.execute(sa.text('INSERT INTO "Customers" ("Name") VALUES (\'Slow\')'))
        add_customers(customers_url, ["Ada", "Grace"])  # keys 2 and 3, committed first
        _wait(lambda: waiting_for_the_table(customers_url))
        _kill_tree(process.pid)  # kill -9 mid-poll
        process.wait(10)
    assert fired_not_started(store_url) == 0
    writer.commit()
    writer.close()
    writer_engine.dispose()
    add_customers(customers_url, ["Linus"])  # key 4, while Portway is down
    with portway_process(workdir, env) as (base, process):
        with client_of(workdir, base) as client:
            first = wait_for_runs(client, 4)
        add_customers(customers_url, ["Barbara", "Edsger"])  # keys 5 and 6
        _wait(lambda: fired_not_started(store_url) > 4, timeout=60)
        _kill_tree(process.pid)  # kill -9 right after the poll fired
        process.wait(10)
    add_customers(customers_url, ["Donald"])  # key 7
    with portway_process(workdir, env) as (base, _):
        with client_of(workdir, base) as client:
            runs = wait_for_runs(client, 7)
    assert {key: len(each) for key, each in first.items()} == {1: 1, 2: 1, 3: 1, 4: 1}
    assert {key: len(each) for key, each in runs.items()} == {k: 1 for k in range(1, 8)}
    assert all(r["status"] == "Succeeded" for each in runs.values() for r in each)


def test_two_processes_on_one_postgresql_start_each_row_once_one_killed_on_the_way(
        tmp_path: Path, customers_url: str, postgres_server_url: str) -> None:
    name = "r_" + uuid.uuid4().hex[:12]
    store_url = create_database(postgres_server_url, name)
    env = {"PORTWAY_EGRESS_ALLOW": "127.0.0.1/32", "PORTWAY_RUNTIME_TRIGGER_SECONDS": "0.2",
           "PORTWAY_RUNTIME_LEASE_SECONDS": "2", "PORTWAY_RUNTIME_POLL_SECONDS": "0.1",
           "PORTWAY_DATABASE_URL": store_url,
           "PORTWAY_SECURITY_MASTER_KEY_FILE": str(tmp_path / "master.key"),
           "PORTWAY_CATALOGUE_DIRECTORY": str(tmp_path / "no-catalogue")}
    project = project_for(tmp_path, customers_url)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    try:
        with portway_process(tmp_path / "a", env) as (_, first), \
                portway_process(tmp_path / "b", env) as (base, _):
            deploy(tmp_path / "a", base, project)  # the owner token is the first one's
            wait_until_watching(store_url)
            for batch in range(3):
                add_customers(customers_url, [f"c{batch}-{n}" for n in range(5)])
            polling = trigger_lease_holder(store_url)
            _kill_tree(first.pid)  # it started first, so it holds the triggers' lease
            first.wait(10)
            for batch in range(3, 6):
                add_customers(customers_url, [f"c{batch}-{n}" for n in range(5)])
            with client_of(tmp_path / "a", base) as client:
                runs = wait_for_runs(client, 30, timeout=120)
            took_over = trigger_lease_holder(store_url)
    finally:
        drop_database(postgres_server_url, name)
    assert {key: len(each) for key, each in runs.items()} == {k: 1 for k in range(1, 31)}
    assert polling != took_over  # the second process took the polling over
