"""The runtime as a gateway extension: its tables, settings, routes, services, commands.

Found by the gateway through the ``portway.extensions`` entry point ``runtime``. Importing
this module is cheap: the parts load when the gateway asks for them.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from starlette.routing import BaseRoute

from gateway import BackgroundService, Extension, Services
from runtime.settings import RuntimeSettings
from runtime.store import tables


class RuntimeExtension(Extension):
    name = "runtime"
    migrations: Path | None = Path(__file__).parent / "store" / "migrations" / "versions"
    metadata = tables.metadata
    settings_section = RuntimeSettings

    def routes(self, services: Services) -> Sequence[BaseRoute]:
        return ()

    def openapi(self) -> Mapping[str, Any]:
        return {}

    def background(self, services: Services) -> Sequence[BackgroundService]:
        return ()

    def commands(self, subparsers: argparse._SubParsersAction[argparse.ArgumentParser]
                 ) -> None:
        return None
