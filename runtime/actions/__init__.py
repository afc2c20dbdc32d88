"""The runtime's leaf actions, one module per family: data operations (``data``,
``table``), variables, http, connector calls (``connectors``), response, child workflows
and waits (``workflow``). ``register_all()`` puts every handler in the one registry the
engine and deploy-time validation ask (``runtime/actions/registry.py``)."""

from __future__ import annotations

from runtime.actions import registry
from runtime.actions.base import ActionHandler

__all__ = ["register_all"]


def _handlers() -> list[ActionHandler]:
    from runtime.actions import (
        connectors,
        data,
        hosted,
        http,
        inline_code,
        response,
        table,
        variables,
        webhooks,
        workflow,
    )

    return [data.Compose(), data.ParseJson(), data.Query(), data.Select(), data.Join(),
            *variables.HANDLERS, response.Response(), http.Http(),
            connectors.ApiConnection(), connectors.ServiceProvider(), workflow.Workflow(),
            workflow.Wait(), workflow.Expression(), table.Table(), inline_code.JavaScriptCode(),
            webhooks.HttpWebhook(), webhooks.ApiConnectionWebhook(), *hosted.HANDLERS]


def register_all() -> None:
    """Register every leaf handler and every built-in connector (``runtime.builtins``);
    calling it again changes nothing."""
    from runtime.builtins import load_providers

    load_providers()
    known = registry.registered_types()
    for handler in _handlers():
        if handler.type.lower() not in known:
            registry.register(handler)
