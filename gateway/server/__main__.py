"""``python -m gateway.server MODULE:APP [--host H] [--port P] [--workers N]``: serve any
ASGI app with Portway's server (the benches serve their reference apps this way, so
both sides of a comparison have the same server in front)."""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Any

from gateway.server import listen, serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway.server",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("app", help="the ASGI app as module:attribute")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    module_name, _, attribute = args.app.partition(":")
    if not module_name or not attribute:
        parser.error("the app is given as module:attribute")
    sys.path.insert(0, "")

    def make_app() -> Any:
        return getattr(importlib.import_module(module_name), attribute)

    return serve(make_app, listen(args.host, args.port), workers=args.workers)


if __name__ == "__main__":
    sys.exit(main())
