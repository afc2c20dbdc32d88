"""``portway db upgrade``: apply the schema migrations."""

from __future__ import annotations

import argparse
from typing import Any

from gateway.cli.common import settings_of
from gateway.store.database import Database


def register(commands: Any) -> None:
    parser = commands.add_parser("db", help="manage the database")
    sub = parser.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade = sub.add_parser("upgrade", help="apply the schema migrations")
    upgrade.add_argument("--config", help="settings file")
    upgrade.set_defaults(handler=upgrade_schema)


def upgrade_schema(args: argparse.Namespace) -> int:
    db = Database(settings_of(args).database.url)
    db.migrate()
    print(f"database at revision {', '.join(db.current_heads())}")
    db.dispose()
    return 0
