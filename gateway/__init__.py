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
    from gateway.errors import PortwayError
    from gateway.extensions import Extension
    from gateway.services import Services
    from gateway.settings import Settings, load_settings

_EXPORTS = {
    "create_app": "gateway.app",
    "PortwayError": "gateway.errors",
    "Extension": "gateway.extensions",
    "Services": "gateway.services",
    "Settings": "gateway.settings",
    "load_settings": "gateway.settings",
}

__all__ = ["Extension", "PortwayError", "Services", "Settings", "create_app", "load_settings"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'gateway' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
