"""``portway connectors list``: the catalogue — stored connectors and built-in ones.

Reads the store the settings name (and the built-in connectors of the installed
extensions), or with ``--url`` a running gateway's ``GET /v1/connectors``, every page.
One tab-separated line per connector (id, kind, tier, network, version, display name),
or with ``--json`` one JSON object per line, the API's summary.
"""

from __future__ import annotations

import argparse
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

from gateway.catalogue import KINDS, NETWORKS, TIERS, builtin_connectors, catalogue_summaries
from gateway.cli.common import add_store_options, remote_of, services_of
from gateway.extensions import discovered_extensions


def register(commands: Any) -> None:
    parser = commands.add_parser("connectors", help="list the connector catalogue")
    sub = parser.add_subparsers(dest="connectors_command", required=True, metavar="ACTION")
    listing = sub.add_parser("list", help="list connectors, built-in ones included")
    add_store_options(listing, remote=True)
    listing.add_argument("--kind", choices=KINDS)
    listing.add_argument("--tier", choices=TIERS)
    listing.add_argument("--network", choices=NETWORKS)
    listing.add_argument("-q", "--query", help="text in the id, display name or description")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    listing.set_defaults(handler=list_connectors)


def list_connectors(args: argparse.Namespace) -> int:
    filters = {"kind": args.kind, "tier": args.tier, "network": args.network,
               "text": args.query}
    remote = remote_of(args)
    if remote is not None:
        items = _remote_items(remote, {"kind": args.kind, "tier": args.tier,
                                       "network": args.network, "q": args.query})
    else:
        services = services_of(args)
        items = catalogue_summaries(services, builtin_connectors(discovered_extensions()),
                                    **filters)
    for item in items:
        if args.json:
            print(json.dumps(item))
        else:
            print("\t".join(str(item.get(key) or "") for key in
                            ("id", "kind", "tier", "network", "version", "displayName")))
    return 0


def _remote_items(remote: Any, query: dict[str, str | None]) -> list[dict[str, Any]]:
    params: dict[str, str] = {k: v for k, v in query.items() if v}
    params["top"] = "1000"
    items: list[dict[str, Any]] = []
    path = "/v1/connectors"
    while True:
        answer = remote.json("GET", path, params=params)
        items += answer["value"]
        next_link = answer.get("nextLink")
        if not next_link:
            return items
        params["$skiptoken"] = parse_qs(urlsplit(str(next_link)).query)["$skiptoken"][0]
