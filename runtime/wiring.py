"""Building the runtime of one process from the gateway's parts.

``start_host`` is what ``RuntimeExtension.startup`` calls (and the CLI, without the
worker): the workflows' store, the app settings, and the engine from
``runtime.engine.build_engine``, attached as this process's ``RuntimeHost``.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

from gateway import BackgroundService, Services, StoreError
from runtime.host import RuntimeHost, attach
from runtime.settings import RuntimeSettings
from runtime.store.appsettings import AppSettingsStore
from runtime.store.workflows import WorkflowStore


class EngineUnavailable(StoreError):
    """The engine could not be built in this process: runs cannot start or be read."""

    code = "EngineUnavailable"


class _Missing:
    """Stands where the engine would be when this build has none: every use is a 503."""

    def __getattr__(self, name: str) -> Any:
        raise EngineUnavailable("the workflow engine is not available in this process")


def runtime_settings(services: Services) -> RuntimeSettings:
    section = services.settings.extension("runtime")
    assert isinstance(section, RuntimeSettings)
    return section


def build_host(services: Services) -> tuple[RuntimeHost, Sequence[BackgroundService]]:
    """The process's runtime parts and the engine's background services (not attached)."""
    settings = runtime_settings(services)
    app_settings = AppSettingsStore(services)
    workflows = WorkflowStore(services, app_settings)
    engine: Any = _Missing()
    workers: Sequence[BackgroundService] = ()
    build = getattr(importlib.import_module("runtime.engine"), "build_engine", None)
    if build is not None:
        built = build(services, settings, workflows, app_settings)
        if isinstance(built, tuple):
            engine, *rest = built
            workers = [s for s in rest if isinstance(s, BackgroundService)]
        else:
            engine = built
            found = getattr(built, "background", None)
            workers = list(found()) if callable(found) else []
    host = RuntimeHost(services=services, settings=settings, workflows=workflows,
                       app_settings=app_settings, engine=engine, history=engine)
    return host, workers


def start_host(services: Services) -> Sequence[BackgroundService]:
    host, workers = build_host(services)
    attach(host)
    return workers if host.settings.enabled else ()
