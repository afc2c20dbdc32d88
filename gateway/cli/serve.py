"""``portway serve``: the gateway and runtime in one process."""

from __future__ import annotations

import argparse
import asyncio
import logging
from typing import Any

from gateway.cli.common import settings_of


def register(commands: Any) -> None:
    parser = commands.add_parser("serve", help="serve the gateway and the runtime")
    parser.add_argument("--config", help="settings file")
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
    from gateway.app import create_app

    app = create_app(settings)
    server = settings.server
    print(f"Portway: serving on http://{server.host}:{server.port}", flush=True)
    if server.engine == "granian":
        return _serve_granian(settings)
    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    config = Config()
    config.bind = [f"{server.host}:{server.port}"]
    config.accesslog = None
    # A logger, not a stream: hypercorn then logs once, through our redacting setup.
    config.errorlog = logging.getLogger("hypercorn.error")
    config.keep_alive_timeout = 75
    asyncio.run(serve(app, config))  # type: ignore[arg-type]
    return 0


def _serve_granian(settings: Any) -> int:
    from granian import Granian
    from granian.constants import Interfaces

    Granian(
        "gateway.asgi:app", address=settings.server.host, port=settings.server.port,
        interface=Interfaces.ASGI, workers=settings.server.workers,
    ).serve()
    return 0
