"""How a workflow addresses a built-in connector, checked when it is deployed.

A ``ServiceProvider`` action or trigger names ``serviceProviderId``, ``operationId`` and
``connectionName``; the connection (``serviceProviderConnections`` in connections.json)
names its ``serviceProvider.id`` and ``parameterValues``. Deploy refuses what would only
fail when the workflow runs: an unknown connector or operation, an action that names a
trigger operation (or the other way round), a connection made for another connector, and
a connection without a parameter its connector requires (names compared
case-insensitively; a value may be an expression such as ``@appsetting('...')``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runtime.builtins.registry import provider_for


def _plain(value: Any) -> bool:
    return isinstance(value, str) and bool(value) and not value.startswith("@")


def operation_problems(provider_id: Any, operation_id: Any, *, trigger: bool,
                       known_checked: bool = False) -> list[tuple[str, str]]:
    """``(field, message)`` for each problem of the operation a workflow names.

    Args:
        trigger: Named by a trigger (else by an action).
        known_checked: Unknown connectors and operations are reported elsewhere (the
            action handler's own check); only say when the kind is wrong.
    """
    if not _plain(provider_id):
        return []
    provider = provider_for(provider_id)
    if provider is None:
        return [] if known_checked else [
            ("serviceProviderId", f"Portway has no built-in connector '{provider_id}'")]
    if not _plain(operation_id):
        return []
    operation = provider.operations().get(operation_id)
    if operation is None:
        return [] if known_checked else [
            ("operationId", f"the built-in connector '{provider_id}' has no operation "
                            f"'{operation_id}'")]
    if operation.trigger != trigger:
        kind, user = ("a trigger", "an action") if operation.trigger else (
            "an action", "a trigger")
        return [("operationId", f"'{operation_id}' of '{provider_id}' is {kind}; "
                                f"{user} cannot use it")]
    return []


def connection_problems(provider_id: Any, name: str, connection: Mapping[str, Any]
                        ) -> list[str]:
    """What is wrong with service provider connection ``name`` for ``provider_id``."""
    problems = []
    declared = connection.get("serviceProvider")
    declared_id = declared.get("id") if isinstance(declared, Mapping) else None
    if _plain(provider_id) and _plain(declared_id) and \
            str(declared_id).lower() != str(provider_id).lower():
        problems.append(f"the connection '{name}' is for '{declared_id}', not "
                        f"'{provider_id}'")
    values = connection.get("parameterValues", {})
    if not isinstance(values, Mapping):
        return [*problems, f"the connection '{name}' needs parameterValues as an object"]
    provider = provider_for(provider_id) if _plain(provider_id) else None
    if provider is None:
        return problems
    given = {str(key).lower() for key, value in values.items() if value not in (None, "")}
    required = provider.connection_parameters.get("required") or ()
    missing = [str(p) for p in required if str(p).lower() not in given]
    if missing:
        problems.append(f"the connection '{name}' lacks {', '.join(map(repr, missing))}, "
                        f"required by '{provider_id}'")
    return problems
