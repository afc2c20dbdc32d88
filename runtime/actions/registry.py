"""The one registry of leaf action types: the engine and deploy-time validation ask it."""

from __future__ import annotations

from runtime.actions.base import ActionHandler

_HANDLERS: dict[str, ActionHandler] = {}


def register(handler: ActionHandler) -> None:
    """Add a handler; its ``type`` (lower case) must be new."""
    key = handler.type.lower()
    if key in _HANDLERS:
        raise ValueError(f"action type {handler.type!r} is registered twice")
    _HANDLERS[key] = handler


def handler_for(action_type: str) -> ActionHandler | None:
    """The handler of an action type (case-insensitive), or None."""
    return _HANDLERS.get(action_type.lower())


def registered_types() -> frozenset[str]:
    """Every leaf action type, lower case."""
    return frozenset(_HANDLERS)
