"""Suite-wide fixtures: the database backends, Redis and the corpus.

``database_url`` is a fresh SQLite database: what every test gets unless storage is what it
tests. Tests of storage are marked ``both_backends`` (a module sets ``pytestmark``): they
then run on SQLite and on a throwaway PostgreSQL cluster that the suite starts once, when
the first such test needs it, and stops at the end.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gateway.logging import configure_logging
from gateway.store.database import Database
from importers import ImportResult, import_sources
from tests.support.databases import (
    create_database,
    drop_database,
    postgres_server,
    redis_server,
)

ROOT = Path(__file__).resolve().parent.parent


def corpus_dir() -> Path:
    return Path(os.environ.get("PORTWAY_CORPUS") or ROOT.parent / "shared" / "corpus")


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The shared corpus; skipped when missing, except under CI where that fails."""
    path = corpus_dir()
    if not path.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"the corpus is missing at {path} (CI needs ../shared/corpus)")
        pytest.skip(f"the corpus is not at {path}; set PORTWAY_CORPUS")
    return path


@pytest.fixture(scope="session")
def corpus_imports(corpus: Path) -> Callable[[str], list[ImportResult]]:
    """Each corpus folder (``"powerplatform"``, ``"openapi3"``) imported once per session.

    Importing the Power Platform corpus takes about 15 s; the tests that read the results
    share one import. They must not change what they are given.
    """
    cache: dict[str, list[ImportResult]] = {}

    def imported(name: str) -> list[ImportResult]:
        if name not in cache:
            cache[name] = list(import_sources([str(corpus / name)]))
        return cache[name]

    return imported


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(autouse=True)
def _logs_back_on_the_restored_stderr() -> Iterator[None]:
    """``portway`` commands run in-process point the logs at the stderr they find, which
    is a test's capture; each test's end points them back at the one pytest restores, so
    later tests do not log into a closed capture."""
    yield
    configure_logging("plain", "info")


@pytest.fixture(scope="session")
def _migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "portway.db"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return path


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests marked ``both_backends`` get ``database_url`` once per backend."""
    if ("database_url" in metafunc.fixturenames
            and metafunc.definition.get_closest_marker("both_backends") is not None):
        metafunc.parametrize("database_url", BACKENDS, indirect=True)


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database at the newest schema revision, holding nothing, dropped after the
    test: SQLite, or each backend in turn for tests marked ``both_backends``."""
    backend = getattr(request, "param", "sqlite")
    if backend == "sqlite":
        # A copy of a database migrated once per session: the schema is the same as a
        # migration gives, at a fraction of the cost.
        path = tmp_path / "portway.db"
        shutil.copyfile(request.getfixturevalue("_migrated_sqlite"), path)
        yield f"sqlite:///{path}"
        return
    server: str = request.getfixturevalue("postgres_server_url")
    name = "t_" + uuid.uuid4().hex[:12]
    yield create_database(server, name)
    drop_database(server, name)
