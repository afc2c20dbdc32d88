"""``portway serve``: the gateway and runtime in one process, on the chosen server.

Three engines serve the same ASGI app, behind one small interface (``ENGINES``):

* ``portway`` (the default): Portway's own HTTP/1.1 server (``gateway.server``), on
  uvloop and llhttp: the cheapest per request in ``bench/proxy.py``, and strict about
  what it parses (docs/proxy.md, docs/security.md).
* ``granian``: a Rust HTTP server (HTTP/1.1 and HTTP/2); it takes bare-LF line endings
  and answers what its parser refuses with an empty body.
* ``hypercorn``: pure Python, with HTTP/2 and HTTP/3; the server Portway was first
  specified with.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import socket
from collections.abc import Callable
from typing import Any

from gateway.cli.common import add_store_options, settings_of, store_line
from gateway.errors import ConfigError
from gateway.services import build_services
from gateway.settings import Settings


def register(commands: Any) -> None:
    parser = commands.add_parser("serve", help="serve the gateway and the runtime")
    add_store_options(parser)
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (default 8080)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    overrides: dict[str, Any] = {}
    if args.host:
        overrides["host"] = args.host
    if args.port is not None:
        overrides["port"] = args.port
    if overrides:
        settings = settings.replace(server=overrides)
    server = settings.server
    _ensure_address_free(server.host, server.port)
    _preflight(settings)
    print(f"Portway: serving on http://{server.host}:{server.port} ({server.engine}), "
          f"{store_line(args, settings)}", flush=True)
    return ENGINES[server.engine](settings, getattr(args, "config", None))


def _preflight(settings: Settings) -> None:
    """Open the store once before serving: a missing master key in production mode, an
    unreachable database or a failed migration is one clear error, not a "serving" line
    followed by the server's tracebacks."""
    services = build_services(settings)
    services.db.dispose()


def _ensure_address_free(host: str, port: int) -> None:
    """Refuse to start when something already listens on the address.

    granian binds with SO_REUSEPORT, so without this check a second ``portway serve`` on
    the same port would silently share it with the first instead of failing.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As the servers bind: connections of an earlier server still in TIME_WAIT do
        # not make the address taken (a listening socket still does).
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def serve_portway(settings: Settings, config_file: str | None) -> int:
    """Serve with Portway's own server: ``server.workers`` processes, each with its app."""
    from gateway.api.lane import data_plane_lane
    from gateway.app import create_app
    from gateway.server import connection_cap, listen, serve

    sock = listen(settings.server.host, settings.server.port)
    cap = connection_cap(settings.server.max_connections, settings.proxy.max_connections)
    return serve(lambda: create_app(settings), sock, workers=settings.server.workers,
                 lane=data_plane_lane, max_connections=cap)


def serve_hypercorn(settings: Settings, config_file: str | None) -> int:
    """Serve in this process with hypercorn (HTTP/1.1 and HTTP/2)."""
    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    from gateway.app import create_app

    app = create_app(settings)
    config = Config()
    config.bind = [f"{settings.server.host}:{settings.server.port}"]
    config.accesslog = None
    # A logger, not a stream: hypercorn then logs once, through our redacting setup.
    config.errorlog = logging.getLogger("hypercorn.error")
    config.keep_alive_timeout = 75
    try:
        import uvloop
    except ImportError:
        asyncio.run(serve(app, config))  # type: ignore[arg-type]
    else:
        uvloop.run(serve(app, config))  # type: ignore[arg-type]
    return 0


def serve_granian(settings: Settings, config_file: str | None) -> int:
    """Serve with granian: ``server.workers`` worker processes, each building the app."""
    from granian import Granian
    from granian.constants import HTTPModes, Interfaces

    from gateway.logging import stdlib_config

    if config_file:
        # The workers build their own settings (gateway.asgi); they find the file here.
        os.environ["PORTWAY_CONFIG"] = os.path.abspath(config_file)
    Granian(
        "gateway.asgi:app", address=settings.server.host, port=settings.server.port,
        interface=Interfaces.ASGI, workers=settings.server.workers, http=HTTPModes.auto,
        log_access=False, backlog=2048,
        # granian configures logging itself: with handlers that redact, like ours.
        log_dictconfig=stdlib_config(settings.log.level),
    ).serve()
    return 0


ENGINES: dict[str, Callable[[Settings, str | None], int]] = {
    "portway": serve_portway,
    "granian": serve_granian,
    "hypercorn": serve_hypercorn,
}
