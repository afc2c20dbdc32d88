"""Calling a built-in connector as the runtime does: inside ``calling(services)``."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest

from gateway import PortwayError, Services
from runtime.builtins.calling import calling
from runtime.builtins.registry import ServiceProvider


def invoke(services: Services, provider: ServiceProvider, operation: str,
           connection: Mapping[str, Any], parameters: Mapping[str, Any]) -> Any:
    async def main() -> Any:
        with calling(services):
            return await provider.invoke(operation, connection, parameters)

    return asyncio.run(main())


def poll(services: Services, provider: Any, operation: str, connection: Mapping[str, Any],
         parameters: Mapping[str, Any], state: Mapping[str, Any]) -> Any:
    async def main() -> Any:
        with calling(services):
            return await provider.poll(operation, connection, parameters, state)

    return asyncio.run(main())


def refused(services: Services, provider: ServiceProvider, connection_string: str,
            operation: str = "getTables", **parameters: Any) -> PortwayError:
    """The error a call with this connection string fails with."""
    with pytest.raises(PortwayError) as caught:
        invoke(services, provider, operation, {"connectionString": connection_string},
               parameters)
    return caught.value
