"""The ``portway`` command line: one module per command group."""

from __future__ import annotations

import argparse
import importlib.metadata
import sys
from collections.abc import Sequence

from gateway.cli import connectors, database, expressions, importing, keys, serve, tokens
from gateway.cli.common import close_opened
from gateway.errors import BadRequest, PortwayError
from gateway.extensions import discovered_extensions
from gateway.logging import configure_logging

GROUPS = (serve, importing, connectors, tokens, keys, database, expressions)


def version() -> str:
    """The installed distribution's version."""
    try:
        return importlib.metadata.version("portway")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - not installed
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="portway", description="Portway connector gateway")
    parser.add_argument("--version", action="version", version=f"portway {version()}")
    # The store options are also accepted after the command (gateway.cli.common).
    parser.add_argument("--config", metavar="FILE",
                        help="settings file (default: config/portway.toml in this folder)")
    parser.add_argument("--url", help="talk to the gateway running at URL over its API")
    parser.add_argument("--token", help="the bearer token for --url")
    parser.add_argument("--token-file", metavar="FILE",
                        help="a file holding the bearer token for --url")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in GROUPS:
        group.register(commands)
    for extension in discovered_extensions():
        extension.commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # Logs go to stderr: stdout carries the commands' own output (tokens, JSON lines).
    configure_logging("plain", "warning" if args.command != "serve" else "info")
    try:
        if args.url is not None and not getattr(args, "remote_capable", False):
            raise BadRequest(f"portway {args.command} works on a store, not over --url "
                             "(--url goes with the commands whose --help offers it)")
        code: int = args.handler(args)
    except PortwayError as exc:
        print(f"portway: {exc.message}", file=sys.stderr)
        for detail in exc.details[:20]:
            print(f"  {detail}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    finally:
        close_opened()
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
