"""The extension point: what an extension brings reaches the app, the settings, the
OpenAPI document and the supervisor."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from gateway.app import create_app
from gateway.errors import ConfigError
from gateway.extensions import BackgroundService, Extension, discovered_extensions
from gateway.services import Services, build_services
from gateway.settings import load_settings
from gateway.supervisor import Supervisor
from tests.gateway.conftest import make_settings
from tests.support.servers import serve_in_thread


class Greeter(Extension):
    """A small real extension: one route, its OpenAPI path, one background service."""

    name = "greeter"

    def __init__(self) -> None:
        self.beats = 0

    def routes(self, services: Services) -> Sequence[BaseRoute]:
        async def hello(request: Request) -> Response:
            return JSONResponse({"hello": request.path_params["who"], "beats": self.beats})

        return [Route("/v1/hello/{who}", hello, methods=["GET"])]

    def openapi(self) -> Mapping[str, Any]:
        return {"paths": {"/v1/hello/{who}": {"get": {"operationId": "hello"}}},
                "components": {"schemas": {"Hello": {"type": "object"}}}}

    def background(self, services: Services) -> Sequence[BackgroundService]:
        async def beat(_: Services) -> None:
            while True:
                self.beats += 1
                await asyncio.sleep(0.01)

        return [BackgroundService("beat", beat)]


def test_the_runtime_is_discovered_through_its_entry_point() -> None:
    names = [extension.name for extension in discovered_extensions()]
    assert "runtime" in names


def test_an_extension_brings_routes_openapi_and_background_work(
        tmp_path: Path, database_url: str) -> None:
    services = build_services(make_settings(tmp_path, database_url))
    greeter = Greeter()
    import httpx

    with serve_in_thread(create_app(services=services, extensions=[greeter])) as url:
        token = Path(services.settings.security.owner_token_file).read_text().strip()
        with httpx.Client(base_url=url, headers={"authorization": f"Bearer {token}"}) as c:
            document = c.get("/openapi.json").json()
            for _ in range(100):
                answer = c.get("/v1/hello/ada").json()
                if answer["beats"] > 0:
                    break
    services.db.dispose()
    assert document["paths"]["/v1/hello/{who}"] == {"get": {"operationId": "hello"}}
    assert document["components"]["schemas"]["Hello"] == {"type": "object"}
    assert "Error" in document["components"]["schemas"]
    assert answer["hello"] == "ada"
    assert answer["beats"] > 0


def test_an_extension_settings_section_is_read_and_checked(tmp_path: Path) -> None:
    config = tmp_path / "p.toml"
    config.write_text("[runtime]\nretention_days = 7\n")
    settings = load_settings(config, environ={"PORTWAY_RUNTIME_FOREACH_CONCURRENCY": "5"})
    assert settings.extension("runtime").retention_days == 7
    assert settings.extension("runtime").foreach_concurrency == 5
    assert settings.describe()["runtime"]["retention_days"] == 7
    config.write_text("[runtime]\nretention_dayz = 7\n")
    with pytest.raises(ConfigError, match=r"runtime\.retention_dayz"):
        load_settings(config, environ={})
    with pytest.raises(ConfigError, match="PORTWAY_RUNTIME_NOSUCH"):
        load_settings(None, environ={"PORTWAY_RUNTIME_NOSUCH": "1"})
    with pytest.raises(ConfigError, match="no extension"):
        settings.extension("nosuch")


def test_a_failing_service_is_started_again(tmp_path: Path) -> None:
    services = build_services(make_settings(tmp_path, f"sqlite:///{tmp_path / 'p.db'}"))
    starts: list[int] = []

    async def flaky(_: Services) -> None:
        starts.append(1)
        raise RuntimeError("boom")

    async def scenario() -> None:
        supervisor = Supervisor(services)
        supervisor.start([BackgroundService("flaky", flaky)])
        await asyncio.sleep(1.5)  # the back-off starts at one second
        await supervisor.stop()

    asyncio.run(scenario())
    services.db.dispose()
    assert len(starts) == 2


def test_a_singleton_runs_in_one_process_at_a_time_and_is_taken_over(
        tmp_path: Path, database_url: str) -> None:
    first = build_services(make_settings(tmp_path, database_url))
    second = build_services(make_settings(tmp_path, database_url))
    running: dict[str, int] = {}
    most_at_once = 0

    def work(owner: str) -> Any:
        async def run(_: Services) -> None:
            nonlocal most_at_once
            running[owner] = running.get(owner, 0) + 1
            try:
                while True:
                    most_at_once = max(most_at_once, sum(1 for v in running.values() if v))
                    await asyncio.sleep(0.02)
            finally:
                running[owner] -= 1

        return run

    async def scenario() -> list[str]:
        a = Supervisor(first, lease_seconds=0.6)
        b = Supervisor(second, lease_seconds=0.6)
        a.start([BackgroundService("clock", work("a"), singleton=True)])
        await asyncio.sleep(0.3)
        b.start([BackgroundService("clock", work("b"), singleton=True)])
        await asyncio.sleep(0.8)
        holders = [name for name, count in running.items() if count]
        await a.stop()  # releases the lease: b takes over
        await asyncio.sleep(1.0)
        holders += [name for name, count in running.items() if count]
        await b.stop()
        return holders

    holders = asyncio.run(scenario())
    first.db.dispose()
    second.db.dispose()
    assert holders == ["a", "b"]
    assert most_at_once == 1
