"""The extension point through which other packages plug into the gateway's app.

The gateway never imports the runtime: the runtime (or a third party, through the
``portway.extensions`` entry point group) hands the app an ``Extension`` that adds routes
and background services started and stopped with the app.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from importlib.metadata import entry_points
from typing import Protocol

from starlette.routing import BaseRoute

from gateway.services import Services


class Extension(Protocol):
    """Something that plugs routes and background work into the gateway."""

    name: str

    def routes(self, services: Services) -> Sequence[BaseRoute]: ...

    def startup(self, services: Services) -> Awaitable[None] | None: ...

    def shutdown(self, services: Services) -> Awaitable[None] | None: ...


def discovered_extensions() -> list[Extension]:
    """Extensions registered under the ``portway.extensions`` entry point group."""
    found: list[Extension] = []
    for entry in entry_points(group="portway.extensions"):
        factory: Callable[[], Extension] = entry.load()
        found.append(factory())
    return found
