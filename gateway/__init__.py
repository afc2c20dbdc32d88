"""The gateway: connectors, connections and the proxy that calls through them.

The public face for other packages (the runtime, extensions): everything else in this
package is private to it. Names are loaded on first use, so importing one part (say
``gateway.expressions``) does not load the whole app.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gateway.app import create_app
    from gateway.calls import Answer, call_connection, call_connection_operation, send_http
    from gateway.errors import PortwayError
    from gateway.extensions import BackgroundService, Extension
    from gateway.services import Services
    from gateway.settings import Secret, Settings, load_settings
    from gateway.store.workflows import WorkflowIdentities, principal_of

_EXPORTS = {
    "create_app": "gateway.app",
    "Answer": "gateway.calls",
    "call_connection": "gateway.calls",
    "call_connection_operation": "gateway.calls",
    "send_http": "gateway.calls",
    "PortwayError": "gateway.errors",
    "BackgroundService": "gateway.extensions",
    "Extension": "gateway.extensions",
    "Services": "gateway.services",
    "Secret": "gateway.settings",
    "Settings": "gateway.settings",
    "load_settings": "gateway.settings",
    "WorkflowIdentities": "gateway.store.workflows",
    "principal_of": "gateway.store.workflows",
}

__all__ = [
    "Answer",
    "BackgroundService",
    "Extension",
    "PortwayError",
    "Secret",
    "Services",
    "Settings",
    "WorkflowIdentities",
    "call_connection",
    "call_connection_operation",
    "create_app",
    "load_settings",
    "principal_of",
    "send_http",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'gateway' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
