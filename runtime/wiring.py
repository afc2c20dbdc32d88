"""Building the runtime of one process from the gateway's parts.

``build_host`` gives the workflows' store, the app settings and the engine
(``runtime.engine.build_engine``); ``RuntimeExtension.startup`` attaches the result as the
process's ``RuntimeHost`` and hands the engine's worker loop to the gateway's supervisor.
The CLI builds one too, without running the worker: runs it starts are stored, and a
serving process resumes them.
"""

from __future__ import annotations

import dataclasses

from gateway import Services
from runtime.engine import build_engine
from runtime.host import RuntimeHost
from runtime.settings import RuntimeSettings
from runtime.store.appsettings import AppSettingsStore
from runtime.store.workflows import WorkflowStore


def runtime_settings(services: Services) -> RuntimeSettings:
    section = services.settings.extension("runtime")
    assert isinstance(section, RuntimeSettings)
    return section


def build_host(services: Services, *, runs_here: bool = True) -> RuntimeHost:
    """The runtime's parts. ``runs_here=False`` (the CLI): runs this process starts are
    only stored, for a serving process's worker to claim; none runs in this process."""
    settings = runtime_settings(services)
    if not runs_here:
        settings = dataclasses.replace(settings, enabled=False)
    app_settings = AppSettingsStore(services)
    workflows = WorkflowStore(services, app_settings)
    engine = build_engine(services, settings, workflows, app_settings)
    return RuntimeHost(services=services, settings=settings, workflows=workflows,
                       app_settings=app_settings, engine=engine, history=engine)
