"""``portway tokens create``: a principal's bearer token, printed once."""

from __future__ import annotations

import argparse
from typing import Any

from gateway.cli.common import services_of


def register(commands: Any) -> None:
    parser = commands.add_parser("tokens", help="manage principals' bearer tokens")
    sub = parser.add_subparsers(dest="tokens_command", required=True, metavar="ACTION")
    create = sub.add_parser("create", help="create a token (printed once)")
    create.add_argument("--config", help="settings file")
    create.add_argument("--principal", required=True)
    create.add_argument("--role", required=True, choices=["owner", "contributor", "reader"])
    create.add_argument("--kind", default="user", choices=["user", "service", "workflow"])
    create.add_argument("--scope", default="*",
                        help="'*' (global) or a resource, e.g. connections/demo")
    create.set_defaults(handler=create_token)


def create_token(args: argparse.Namespace) -> int:
    services = services_of(args)
    token = services.principals.create_token(args.principal, args.role, kind=args.kind,
                                             scope=args.scope)
    services.audit.record(actor="cli", action="token.create",
                          resource=f"principals/{args.principal}", outcome="ok",
                          details={"role": args.role, "scope": args.scope})
    print(token)
    return 0
