"""The runtime as a gateway extension: its tables, settings, routes, services, commands.

Found by the gateway through the ``portway.extensions`` entry point ``runtime``. Importing
this module is cheap: the parts load when the gateway asks for them. ``startup`` builds
the process's ``RuntimeHost`` (the workflows' store, app settings, the engine and its run
history) before the app serves a request; ``background`` hands the gateway's supervisor
the engine's worker loop and the trigger scheduler.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from starlette.routing import BaseRoute

from gateway import BackgroundService, Extension, Reseal, Services
from runtime.settings import RuntimeSettings
from runtime.store import tables


class RuntimeExtension(Extension):
    name = "runtime"
    migrations: Path | None = Path(__file__).parent / "store" / "migrations" / "versions"
    metadata = tables.metadata
    settings_section = RuntimeSettings

    def reseal(self, conn: sa.Connection, reseal: Reseal) -> int:
        from runtime.engine.redaction import reseal_stored

        return reseal_stored(conn, reseal)

    def routes(self, services: Services) -> Sequence[BaseRoute]:
        from runtime.api import callbacks, runs, triggers, workflows

        return [*workflows.routes, *triggers.routes, *callbacks.routes, *runs.routes]

    def openapi(self) -> Mapping[str, Any]:
        from runtime.api.openapi import runtime_openapi

        return runtime_openapi()

    def builtin_connectors(self) -> Sequence[Mapping[str, Any]]:
        from runtime.builtins import load_providers, providers
        from runtime.builtins.catalogue import catalogue_entries

        load_providers()
        return catalogue_entries(providers())

    def startup(self, services: Services) -> None:
        from runtime.host import attach
        from runtime.triggers.callers import CallerPolicy
        from runtime.wiring import build_host

        host = build_host(services)
        CallerPolicy.of(host.settings)  # a bad address in the settings stops the start
        attach(host)

    def background(self, services: Services) -> Sequence[BackgroundService]:
        from runtime.host import host_of
        from runtime.triggers.scheduler import TriggerScheduler

        host = host_of(services)
        if not host.settings.enabled:
            return []
        from runtime.triggers.webhooks import WebhookSubscriber

        scheduler = TriggerScheduler(host, clock=host.engine.clock,
                                     interval=host.settings.trigger_seconds)
        subscriber = WebhookSubscriber(host, clock=host.engine.clock,
                                       interval=host.settings.trigger_seconds)
        return [host.engine.worker, scheduler.service, subscriber.service]

    async def shutdown(self, services: Services) -> None:
        from runtime.host import detach, host_of

        await host_of(services).engine.aclose()
        detach(services)

    def commands(self, subparsers: argparse._SubParsersAction[argparse.ArgumentParser]
                 ) -> None:
        from runtime.cli import register

        register(subparsers)
