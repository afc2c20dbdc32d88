"""``portway db upgrade``: apply the schema migrations (creating the store if needed)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from gateway.cli.common import add_store_options, settings_of, store_line
from gateway.store.database import Database


def register(commands: Any) -> None:
    parser = commands.add_parser("db", help="manage the database")
    sub = parser.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade = sub.add_parser("upgrade", help="apply the schema migrations")
    add_store_options(upgrade)
    upgrade.set_defaults(handler=upgrade_schema)


def upgrade_schema(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    print(f"portway: {store_line(args, settings)}", file=sys.stderr)
    db = Database(settings.database.url)
    try:
        db.migrate()
        print(f"database at revision {', '.join(db.current_heads())}")
    finally:
        db.dispose()
    return 0
