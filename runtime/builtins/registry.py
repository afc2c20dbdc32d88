"""Built-in connectors (Logic Apps' service providers): one registry, addressed as Logic
Apps Standard addresses them (``serviceProviderConfiguration.serviceProviderId`` such as
``/serviceProviders/sql``, its ``operationId``, its parameter names).

Third parties add their own through the ``portway.connectors`` entry point group: each
entry point names a factory returning a ``ServiceProvider``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class ProviderOperation:
    """One operation of a built-in connector, for the catalogue and deploy-time checks."""

    operation_id: str
    summary: str
    #: JSON Schema of the operation's ``parameters`` object.
    parameters: Mapping[str, Any] = field(default_factory=dict)
    #: JSON Schema of its outputs' body.
    outputs: Mapping[str, Any] = field(default_factory=dict)
    trigger: bool = False
    #: What it does, in a sentence or two (the catalogue and its lint show it).
    description: str = ""


class ServiceProvider(Protocol):
    """A built-in connector.

    A provider may also have a ``description`` (a string of 30 to 500 characters, shown
    in the catalogue); it is read with a default, so it is not part of the protocol.
    """

    #: ``/serviceProviders/<name>``, compared case-insensitively.
    id: str
    display_name: str
    #: JSON Schema of the connection's ``parameterValues``; secret ones marked
    #: ``"x-ms-secret": true`` (they live in the vault like any connection secret).
    connection_parameters: Mapping[str, Any]

    def operations(self) -> Mapping[str, ProviderOperation]: ...

    async def invoke(self, operation_id: str, connection: Mapping[str, Any],
                     parameters: Mapping[str, Any]) -> Any:
        """Run an operation; returns its outputs (``{"body": ...}`` as Logic Apps shapes
        them). Raises ``gateway.PortwayError`` on failure (its code and message become
        the action's error)."""
        ...


@runtime_checkable
class PollingProvider(ServiceProvider, Protocol):
    """A built-in connector with trigger operations (``ProviderOperation.trigger``), which
    the trigger scheduler polls when the trigger's recurrence is due."""

    async def poll(self, operation_id: str, connection: Mapping[str, Any],
                   parameters: Mapping[str, Any], state: Mapping[str, Any]
                   ) -> tuple[Mapping[str, Any] | None, Mapping[str, Any]]:
        """Look for new items after ``state`` (the trigger's watermark, ``{}`` at first).

        Returns:
            The trigger outputs to fire with (``{"body": [...]}``; ``splitOn`` then makes
            one run per item), or None when nothing is new; and the state after them. Kept
            durably with the fired runs in one transaction, so a poll from the same state
            must find the same items in the same order (a poll is repeated when a process
            dies before it commits).

        Raises:
            gateway.PortwayError: The service failed; nothing fires, the state stays.
        """
        ...


_PROVIDERS: dict[str, ServiceProvider] = {}


def register_provider(provider: ServiceProvider) -> None:
    _PROVIDERS[provider.id.lower()] = provider


def provider_for(provider_id: str) -> ServiceProvider | None:
    return _PROVIDERS.get(provider_id.lower())


def providers() -> list[ServiceProvider]:
    return sorted(_PROVIDERS.values(), key=lambda p: p.id.lower())
