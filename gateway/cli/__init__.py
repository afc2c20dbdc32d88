"""The ``portway`` command line: one module per command group."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from gateway.cli import database, expressions, importing, keys, serve, tokens
from gateway.cli.common import close_opened
from gateway.errors import PortwayError
from gateway.extensions import discovered_extensions
from gateway.logging import configure_logging

GROUPS = (serve, importing, tokens, keys, database, expressions)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="portway", description="Portway connector gateway")
    parser.add_argument("--config", help="settings file (default config/portway.toml)")
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
