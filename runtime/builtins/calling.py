"""The runtime's side of a call into a built-in connector.

The ``ServiceProvider`` action and the polling trigger run each provider call inside
``calling(services)``, which binds, for the provider's own code, one ``Call``: the
gateway's egress guard (what ``outbound.vet_server`` vets a server with), the
``[runtime]`` settings (``runtime_settings()``: limits such as ``file_max_bytes``) and
where Portway's own store is (``current_call().store_url``: what no connection may
open). Outside ``calling`` (a provider's own test, a script) the strictest guard, the
default settings and the default store apply.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from gateway import EgressGuard, Services
from gateway.settings import DatabaseSettings
from runtime.settings import RuntimeSettings

__all__ = ["Call", "bound", "calling", "current_call", "runtime_settings"]


@dataclass(frozen=True)
class Call:
    """What a provider's code may know of the process it runs in."""

    #: The ``[runtime]`` settings.
    settings: RuntimeSettings = field(default_factory=RuntimeSettings)
    #: The URL of Portway's own database (``database.url``), which a provider must never
    #: let a connection open.
    store_url: str = DatabaseSettings.url
    #: The egress guard every server a provider connects to is vetted by.
    egress: EgressGuard = field(default_factory=EgressGuard)


_CALL: ContextVar[Call | None] = ContextVar("portway_builtin_call", default=None)


@contextmanager
def bound(call: Call) -> Iterator[None]:
    """Make ``call`` the call in progress for this block."""
    token = _CALL.set(call)
    try:
        yield
    finally:
        _CALL.reset(token)


@contextmanager
def calling(services: Services) -> Iterator[None]:
    """Run a provider's operation on behalf of this process's gateway parts."""
    with bound(Call(settings=services.settings.extension("runtime"),
                    store_url=services.settings.database.url, egress=services.egress)):
        yield


def current_call() -> Call:
    """The call in progress (the defaults outside one)."""
    return _CALL.get() or Call()


def runtime_settings() -> RuntimeSettings:
    """The ``[runtime]`` settings of the call in progress (the defaults outside one)."""
    return current_call().settings
