"""The ASGI app: routes of every resource, the error handlers, and start-up wiring."""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from gateway import boundedjson
from gateway.api import (
    audit,
    connection_docs,
    connections,
    connectors,
    dataplane,
    health,
    openapi,
    tokens,
)
from gateway.api import oauth as oauth_api
from gateway.api.errors import EXCEPTION_HANDLERS
from gateway.api.front import Front
from gateway.bootstrap import ensure_owner_token
from gateway.catalogue import load_managed_catalogue
from gateway.extensions import Extension, discovered_extensions
from gateway.logging import configure_logging, get_logger
from gateway.origins import bind_unbound_connections
from gateway.portal import routes as portal_routes
from gateway.proxy.pipeline import Proxy
from gateway.services import Services, build_services
from gateway.settings import Settings, load_settings
from gateway.soap.protocol import install as install_soap
from gateway.store.workflows import WorkflowIdentities
from gateway.supervisor import Supervisor

log = get_logger("portway.app")


def create_app(settings: Settings | None = None, *,
               extensions: Sequence[Extension] | None = None,
               services: Services | None = None) -> Starlette:
    """Build the gateway app.

    Args:
        settings: The settings; loaded from the environment when None.
        extensions: What plugs into the app; the ``portway.extensions`` entry points
            when None.
        services: Already-built services (tests share them with the app); built from the
            settings on start when None.
    """
    settings = settings or (services.settings if services else load_settings())
    configure_logging(settings.log.format, settings.log.level)
    boundedjson.configure(boundedjson.JsonLimits(
        max_depth=settings.limits.max_json_depth,
        max_number_length=settings.limits.max_json_number_length))
    extensions = list(discovered_extensions() if extensions is None else extensions)
    given = services

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        built = given or build_services(settings)
        app.state.services = built
        # The linked access check asks which connections a workflow references.
        if built.workflow_references is None:
            built.workflow_references = WorkflowIdentities(built.db).references
        token_file = ensure_owner_token(built)
        if token_file is not None:
            configured = Path(built.settings.security.owner_token_file)
            kept = "" if token_file == configured else (
                f" ({configured} holds another store's owner token and was left alone)")
            print(f"Portway: the owner's token is in {token_file}{kept}", flush=True)
        load_managed_catalogue(built)
        rebound = bind_unbound_connections(built)
        if rebound:
            log.warning("bound connections stored before secret bindings existed",
                        connections=len(rebound))
        app.state.proxy = built.proxy = Proxy(built)
        soap = install_soap(built)  # the proxy's handler for protocol "soap" connectors
        supervisor = Supervisor(built)
        for extension in extensions:
            for route in extension.routes(built):
                app.router.routes.append(route)
            await _maybe_await(extension.startup(built))
            supervisor.start(extension.background(built))
        try:
            yield
        finally:
            await supervisor.stop()
            for extension in reversed(extensions):
                await _maybe_await(extension.shutdown(built))
            await app.state.proxy.aclose()
            await soap.aclose()
            if given is None:
                built.db.dispose()

    routes: list[BaseRoute] = [
        # The data plane first: every proxied call walks this list until it matches.
        *dataplane.routes, *health.routes, *openapi.routes, *tokens.routes,
        *connectors.routes, *connections.routes, *connection_docs.routes, *oauth_api.routes,
        *audit.routes,
        *portal_routes,
    ]
    app = Starlette(
        routes=routes,
        # Request ids, size limits and the data plane's shortcut: see gateway.api.front.
        middleware=[Middleware(Front)],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
    app.state.openapi = openapi.build_openapi([ext.openapi() for ext in extensions])
    # The catalogue lists the built-in connectors of these extensions (gateway.catalogue).
    app.state.extensions = tuple(extensions)
    return app


async def _maybe_await(value: object) -> None:
    if inspect.isawaitable(value):
        await value
