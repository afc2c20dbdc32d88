"""``portway keys rotate``: re-encrypt every secret under a new master key — the vault's,
and the sealed values extensions keep in their own rows (``Extension.reseal``)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from gateway.cli.common import add_store_options, services_of
from gateway.extensions import discovered_extensions


def register(commands: Any) -> None:
    parser = commands.add_parser("keys", help="manage the master keys")
    sub = parser.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    rotate = sub.add_parser("rotate", help="re-encrypt every secret under a new master key")
    add_store_options(rotate)
    rotate.set_defaults(handler=rotate_keys)


def rotate_keys(args: argparse.Namespace) -> int:
    services = services_of(args)
    path = Path(services.settings.security.master_key_file)
    old = services.vault.keyring
    new = old.with_new_active_key()
    # Save first, with the old keys still in: a crash before re-sealing loses nothing.
    new.save(path)
    # Tokens extensions seal in their own rows (values hidden in run records) move too.
    count = services.vault.rotate(new, [e.reseal for e in discovered_extensions()])
    new.only_active().save(path)
    services.audit.record(actor="cli", action="keys.rotate", resource="keys", outcome="ok",
                          details={"resealed": count, "active": new.active})
    print(f"re-encrypted {count} secret(s) under key {new.active}; retired "
          f"{len(old.key_ids)} old key(s)")
    return 0
