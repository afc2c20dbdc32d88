"""The extension point through which other packages plug into the gateway.

The gateway never imports the runtime: the runtime (or a third party) registers an
``Extension`` under the ``portway.extensions`` entry point group, and the gateway asks it
for what it brings:

- ``routes`` — added to the app after the gateway's own;
- ``openapi`` — paths and schemas merged into ``/openapi.json``;
- ``migrations`` — an Alembic versions folder on the extension's own, independent branch
  (its first revision has ``down_revision = None`` and ``branch_labels = (name,)``),
  applied with the gateway's by every start and ``portway db upgrade``; ``metadata`` —
  the tables they create;
- ``settings_section`` — a frozen dataclass: the ``[<name>]`` section of the settings
  file and the ``PORTWAY_<NAME>_<KEY>`` variables, with unknown keys still errors; read it
  with ``settings.extension(name)``;
- ``background`` — supervised background services: restarted when they crash, and for
  ``singleton`` ones run once per deployment (under a lease in the shared database), not
  once per server worker;
- ``commands`` — sub-commands of the ``portway`` command line;
- ``builtin_connectors`` — the built-in connectors it runs, shown read-only in the
  catalogue with kind ``builtin`` (``gateway.catalogue.builtin_connectors``);
- ``reseal`` — the ``Vault.seal_text`` tokens it keeps in its own rows, re-sealed under
  the new master key by ``portway keys rotate`` before the old key is retired.

Subclass ``Extension`` and override what you bring; the defaults bring nothing.
"""

from __future__ import annotations

import argparse
import functools
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from starlette.routing import BaseRoute

if TYPE_CHECKING:
    from gateway.services import Services
    from gateway.store.secrets import Reseal


@dataclass(frozen=True)
class BackgroundService:
    """Long-running work an extension brings.

    Attributes:
        name: Unique within the deployment; names the lease of a singleton.
        run: The work; it should loop until cancelled. When it returns or raises, the
            supervisor logs it and starts it again after a back-off.
        singleton: Run in one process of the deployment at a time (under a lease), not
            in every process.
    """

    name: str
    run: Callable[[Services], Awaitable[None]]
    singleton: bool = False


class Extension:
    """Something that plugs into the gateway. Override what you bring."""

    #: The extension's name: its settings section, its migrations branch.
    name: str = ""
    #: The Alembic versions folder of the extension's own branch, or None.
    migrations: Path | None = None
    #: The tables its migrations create (checked against them by the test suite).
    metadata: sa.MetaData | None = None
    #: The ``[<name>]`` settings section: a frozen dataclass with defaults, or None.
    settings_section: type[Any] | None = None

    def routes(self, services: Services) -> Sequence[BaseRoute]:
        """Routes added to the app after the gateway's own."""
        return ()

    def openapi(self) -> Mapping[str, Any]:
        """``{"paths": {...}, "components": {"schemas": {...}}}`` for ``/openapi.json``."""
        return {}

    def background(self, services: Services) -> Sequence[BackgroundService]:
        """Background services, supervised by the app while it runs."""
        return ()

    def commands(self, subparsers: argparse._SubParsersAction[argparse.ArgumentParser]
                 ) -> None:
        """Add sub-commands to ``portway`` (each sets ``handler`` on its parser)."""

    def builtin_connectors(self) -> Sequence[Mapping[str, Any]]:
        """The built-in connectors it runs, each a connector definition in the wire shape
        ``GET /v1/connectors/{id}`` answers (``importers.Connector``, camelCase)."""
        return ()

    def reseal(self, conn: sa.Connection, reseal: Reseal) -> int:
        """Re-seal the ``Vault.seal_text`` tokens kept in the extension's own rows under
        the new master key, inside ``portway keys rotate``'s transaction (``reseal`` opens
        one token and seals it again; it raises ValueError for one that does not open).
        Answers how many moved; the old key is retired right after."""
        return 0

    def startup(self, services: Services) -> Awaitable[None] | None:
        """Called when the app starts, after the gateway's parts are built."""
        return None

    def shutdown(self, services: Services) -> Awaitable[None] | None:
        """Called when the app stops, before the gateway's parts are closed."""
        return None


@functools.cache
def discovered_extensions() -> tuple[Extension, ...]:
    """Extensions registered under the ``portway.extensions`` entry point group."""
    found: list[Extension] = []
    for entry in sorted(entry_points(group="portway.extensions"), key=lambda e: e.name):
        factory: Callable[[], Extension] = entry.load()
        found.append(factory())
    return tuple(found)


def extension_migrations() -> list[Path]:
    """The Alembic versions folders of every discovered extension."""
    return [ext.migrations for ext in discovered_extensions() if ext.migrations is not None]


def extension_settings_sections() -> dict[str, type[Any]]:
    """The settings sections extensions bring, by section name."""
    return {ext.name: ext.settings_section for ext in discovered_extensions()
            if ext.settings_section is not None}
