"""Built-in connectors: the registry (``registry.py``) and its loading.

Every built-in connector, Portway's own and a third party's, is found the same way: an
entry point in the ``portway.connectors`` group names a zero-argument callable (a class or
a factory) that returns a ``ServiceProvider``. Portway's own are declared in its
``pyproject.toml``; a package that declares its own entry point in that group adds a
connector without touching Portway (Logic Apps' "service provider-based custom built-in
connector").
"""

from __future__ import annotations

from importlib.metadata import entry_points

import structlog

from runtime.builtins.registry import (
    PollingProvider,
    ProviderOperation,
    ServiceProvider,
    provider_for,
    providers,
    register_provider,
)

__all__ = ["ENTRY_POINT_GROUP", "PollingProvider", "ProviderOperation", "ServiceProvider",
           "load_providers", "provider_for", "providers", "register_provider"]

ENTRY_POINT_GROUP = "portway.connectors"

_log = structlog.get_logger("portway.runtime.builtins")
_loaded = False


def load_providers() -> None:
    """Register the provider of every ``portway.connectors`` entry point, once per process.

    An entry point that fails to load, or does not give a provider, is logged and skipped:
    one broken package must not keep the gateway from starting.
    """
    global _loaded
    if _loaded:
        return
    _loaded = True
    for point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            provider = point.load()()
        except Exception as exc:  # a third party's code: anything can go wrong
            _log.error("connector_entry_point_failed", entry_point=point.name,
                       value=point.value, error=type(exc).__name__)
            continue
        if not all(hasattr(provider, attr) for attr in ("id", "operations", "invoke")):
            _log.error("connector_entry_point_not_a_provider", entry_point=point.name,
                       value=point.value)
            continue
        if provider_for(provider.id) is None:
            register_provider(provider)
