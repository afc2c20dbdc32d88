"""Suite-wide fixtures: the database backends, Redis, the corpus, and a gateway app.

Storage tests take ``database_url``, which runs each test on SQLite and on a throwaway
PostgreSQL cluster that the suite starts once and stops at the end.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

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
def postgres_server_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of each backend, dropped after the test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'portway.db'}"
        return
    server: str = request.getfixturevalue("postgres_server_url")
    name = "t_" + uuid.uuid4().hex[:12]
    yield create_database(server, name)
    drop_database(server, name)
