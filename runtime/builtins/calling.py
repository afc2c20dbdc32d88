"""The runtime's side of a call into a built-in connector.

The ``ServiceProvider`` action and the polling trigger run each provider call inside
``calling(services)``, which binds, for the provider's own code, the gateway's egress
guard (what ``outbound.vet_server`` vets a server with) and the ``[runtime]`` settings
(``runtime_settings()``: limits such as ``file_max_bytes``). Outside ``calling`` (a
provider's own test, a script) the strictest guard and the default settings apply.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from gateway import Services
from runtime.builtins.outbound import guarded_by
from runtime.settings import RuntimeSettings

__all__ = ["calling", "runtime_settings"]

_SETTINGS: ContextVar[RuntimeSettings | None] = ContextVar("portway_builtin_settings",
                                                           default=None)


@contextmanager
def calling(services: Services) -> Iterator[None]:
    """Run a provider's operation on behalf of this process's gateway parts."""
    settings: RuntimeSettings = services.settings.extension("runtime")
    token = _SETTINGS.set(settings)
    try:
        with guarded_by(services.egress):
            yield
    finally:
        _SETTINGS.reset(token)


def runtime_settings() -> RuntimeSettings:
    """The ``[runtime]`` settings of the call in progress (the defaults outside one)."""
    return _SETTINGS.get() or RuntimeSettings()
