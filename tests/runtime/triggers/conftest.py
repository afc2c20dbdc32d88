from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway import Services
from gateway.services import build_services
from tests.gateway.conftest import make_settings
from tests.runtime.triggers.support import close_engines


@pytest.fixture
def services(tmp_path: Path, database_url: str) -> Iterator[Services]:
    built = build_services(make_settings(tmp_path, database_url))
    yield built
    close_engines(built)
    built.db.dispose()
