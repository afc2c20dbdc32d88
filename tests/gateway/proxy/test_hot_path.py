"""docs/proxy.md's claim, pinned: once a connection is cached, a proxied call runs no
database statement (with throttling off, the default; declared limits count in Redis,
PostgreSQL or the process, as the docs say)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tests.gateway.conftest import RunningGateway
from tests.gateway.proxy.conftest import ProxyEnv, Upstream, custom_gateway, make_env


def test_cached_calls_run_no_database_statement(tmp_path: Path, upstream: Upstream) -> None:
    # A long cache period: a slow machine must not see a (legitimate) periodic refresh.
    with custom_gateway(tmp_path, proxy={"cache_seconds": 600}) as gateway:
        _calls_run_no_statement(gateway, make_env(gateway, upstream))


def _calls_run_no_statement(gateway: RunningGateway, env: ProxyEnv) -> None:
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    with env.client() as client:
        assert client.get(env.path("items/1")).status_code == 200  # loads and caches
        sa.event.listen(gateway.services.db.engine, "before_cursor_execute", seen)
        try:
            answers = {client.get(env.path(f"items/{n}")).status_code for n in range(20)}
        finally:
            sa.event.remove(gateway.services.db.engine, "before_cursor_execute", seen)
    assert answers == {200}
    assert statements == []
