"""The commands run in-process: ``main`` points the logs at the stderr it finds, which is
a test's capture. Each test's end points them back at the stderr pytest restores, so
later tests do not log into a closed capture."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gateway.logging import configure_logging


@pytest.fixture(autouse=True)
def _logs_back_on_the_restored_stderr() -> Iterator[None]:
    yield
    configure_logging("plain", "info")
