"""The workflow engine: interprets definitions durably (see docs/workflows.md).

The public face for the rest of the runtime::

    engine = build_engine(services, settings, workflows, app_settings)
    handle = await engine.start_run(version, trigger)     # Engine
    record = engine.get(handle.run_id)                   # RunHistory
    engine.worker                                        # the BackgroundService to run

``CONTROL_TYPES`` names the action types the engine runs itself (lower case): deploy-time
validation accepts them besides the leaf types of ``runtime.actions.registry``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runtime.engine.clock import Clock, SystemClock, iso, parse_duration
from runtime.engine.definition import CONTROL_TYPES

if TYPE_CHECKING:
    from gateway import Services
    from runtime.engine.interface import AppSettings
    from runtime.engine.runner import DurableEngine
    from runtime.host import WorkflowSource
    from runtime.settings import RuntimeSettings

__all__ = ["CONTROL_TYPES", "Clock", "SystemClock", "build_engine", "iso", "parse_duration"]


def build_engine(services: Services, settings: RuntimeSettings, workflows: WorkflowSource,
                 app_settings: AppSettings, *, clock: Clock | None = None) -> DurableEngine:
    """The process's engine: an ``Engine`` and a ``RunHistory``.

    Run its ``worker`` (a ``gateway.BackgroundService``, not a singleton: every process
    runs one) for runs to be resumed, shared and retained; ``await engine.aclose()`` on
    shutdown lets other processes take this one's runs at once.
    """
    from runtime.actions import register_all
    from runtime.engine.runner import DurableEngine

    register_all()
    return DurableEngine(services, settings, workflows, app_settings, clock=clock)
