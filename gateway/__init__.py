"""The gateway: connectors, connections and the proxy that calls through them.

The public face for other packages (the runtime, extensions): everything else in this
package is private to it. Names are loaded on first use, so importing one part (say
``gateway.expressions``) does not load the whole app.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gateway.api.auth import authenticate
    from gateway.api.bodies import read_body, read_json_object
    from gateway.api.errors import request_id_of
    from gateway.app import create_app
    from gateway.calls import Answer, call_connection, call_connection_operation, send_http
    from gateway.cli.common import add_store_options, command_services, remote_of
    from gateway.errors import (
        BadRequest,
        ConfigError,
        Conflict,
        EgressDenied,
        Forbidden,
        MethodNotAllowed,
        NotFound,
        PayloadTooLarge,
        PortwayError,
        StoreError,
        Throttled,
        Unauthenticated,
        UpstreamError,
        UpstreamTimeout,
        UpstreamUnreachable,
        ValidationFailed,
    )
    from gateway.extensions import BackgroundService, Extension
    from gateway.security.access import require_role
    from gateway.security.egress import EgressGuard, VettedTarget
    from gateway.services import Services
    from gateway.settings import Secret, Settings, load_settings
    from gateway.store.principals import Principal
    from gateway.store.secrets import Reseal
    from gateway.store.workflows import WorkflowIdentities, principal_of

_EXPORTS = {
    "create_app": "gateway.app",
    "Answer": "gateway.calls",
    "call_connection": "gateway.calls",
    "call_connection_operation": "gateway.calls",
    "send_http": "gateway.calls",
    "command_services": "gateway.cli.common",
    "add_store_options": "gateway.cli.common",
    "remote_of": "gateway.cli.common",
    "BadRequest": "gateway.errors",
    "ConfigError": "gateway.errors",
    "Conflict": "gateway.errors",
    "EgressDenied": "gateway.errors",
    "Forbidden": "gateway.errors",
    "MethodNotAllowed": "gateway.errors",
    "NotFound": "gateway.errors",
    "PayloadTooLarge": "gateway.errors",
    "PortwayError": "gateway.errors",
    "StoreError": "gateway.errors",
    "Throttled": "gateway.errors",
    "Unauthenticated": "gateway.errors",
    "UpstreamError": "gateway.errors",
    "UpstreamTimeout": "gateway.errors",
    "UpstreamUnreachable": "gateway.errors",
    "ValidationFailed": "gateway.errors",
    "authenticate": "gateway.api.auth",
    "read_body": "gateway.api.bodies",
    "read_json_object": "gateway.api.bodies",
    "request_id_of": "gateway.api.errors",
    "require_role": "gateway.security.access",
    "EgressGuard": "gateway.security.egress",
    "VettedTarget": "gateway.security.egress",
    "Principal": "gateway.store.principals",
    "Reseal": "gateway.store.secrets",
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
    "BadRequest",
    "ConfigError",
    "Conflict",
    "EgressDenied",
    "EgressGuard",
    "Extension",
    "Forbidden",
    "MethodNotAllowed",
    "NotFound",
    "PayloadTooLarge",
    "PortwayError",
    "Principal",
    "Reseal",
    "Secret",
    "Services",
    "Settings",
    "StoreError",
    "Throttled",
    "Unauthenticated",
    "UpstreamError",
    "UpstreamTimeout",
    "UpstreamUnreachable",
    "ValidationFailed",
    "VettedTarget",
    "WorkflowIdentities",
    "add_store_options",
    "authenticate",
    "call_connection",
    "call_connection_operation",
    "command_services",
    "create_app",
    "load_settings",
    "principal_of",
    "read_body",
    "read_json_object",
    "remote_of",
    "request_id_of",
    "require_role",
    "send_http",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'gateway' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
