"""``portway tokens create``: a principal's bearer token, printed once.

Acts on the store the settings name, or with ``--url`` asks a running gateway
(``POST /v1/tokens``, which needs an owner's token).
"""

from __future__ import annotations

import argparse
from typing import Any

from gateway.cli.common import add_store_options, remote_of, services_of
from gateway.store.principals import KINDS, ROLES


def register(commands: Any) -> None:
    parser = commands.add_parser("tokens", help="manage principals' bearer tokens")
    sub = parser.add_subparsers(dest="tokens_command", required=True, metavar="ACTION")
    create = sub.add_parser("create", help="create a token (printed once)")
    add_store_options(create, remote=True)
    create.add_argument("--principal", required=True)
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--kind", default="user", choices=KINDS)
    create.add_argument("--scope", default="*",
                        help="'*' (global) or a resource, e.g. connections/demo")
    create.set_defaults(handler=create_token)


def create_token(args: argparse.Namespace) -> int:
    remote = remote_of(args)
    if remote is not None:
        answer = remote.json("POST", "/v1/tokens", json={
            "principal": args.principal, "role": args.role, "kind": args.kind,
            "scope": args.scope})
        print(answer["token"])
        return 0
    services = services_of(args)
    token = services.principals.create_token(args.principal, args.role, kind=args.kind,
                                             scope=args.scope)
    services.audit.record(actor="cli", action="token.create",
                          resource=f"principals/{args.principal}", outcome="ok",
                          details={"role": args.role, "scope": args.scope})
    print(token)
    return 0
