"""The runtime's parts in one running gateway process, and how handlers find them.

``RuntimeExtension.startup`` builds one ``RuntimeHost`` per gateway ``Services`` (the
app's parts) and ``host_of(services)`` finds it again: request handlers reach it as
``host_of(request.app.state.services)``, actions through their context.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from gateway import Services
from runtime.engine.interface import RunHistory, WorkflowVersion
from runtime.settings import RuntimeSettings

if TYPE_CHECKING:
    from runtime.engine.runner import DurableEngine
    from runtime.store.appsettings import AppSettingsStore
    from runtime.store.workflows import WorkflowStore


class WorkflowSource(Protocol):
    """Where the engine gets the versions it runs (the workflows' store)."""

    def version(self, version_id: str) -> WorkflowVersion:
        """Any stored version: a run resumes on the version it started with.

        Raises:
            gateway.PortwayError (NotFound): No such version.
        """
        ...

    def current(self, workflow: str) -> WorkflowVersion:
        """The workflow's current version (a ``Workflow`` action starts a child on it).

        Raises:
            gateway.PortwayError (NotFound): No such workflow.
        """
        ...


@dataclass
class RuntimeHost:
    services: Services
    settings: RuntimeSettings
    #: The workflows' store; the engine's ``WorkflowSource``.
    workflows: WorkflowStore
    #: The app settings; the engine's ``AppSettings``.
    app_settings: AppSettingsStore
    #: The engine (``Engine`` and ``RunHistory``, with its ``worker`` loop).
    engine: DurableEngine
    history: RunHistory


_HOSTS: dict[int, RuntimeHost] = {}


def attach(host: RuntimeHost) -> None:
    _HOSTS[id(host.services)] = host


def detach(services: Services) -> None:
    _HOSTS.pop(id(services), None)


def host_of(services: Services) -> RuntimeHost:
    """The runtime of the process whose gateway parts these are.

    Raises:
        RuntimeError: The runtime has not started in this process.
    """
    host = _HOSTS.get(id(services))
    if host is None:
        raise RuntimeError("the workflow runtime has not started in this process")
    return host
