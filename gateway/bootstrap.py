"""First start: make sure an owner exists, writing its token to ``var/owner.token``.

The token file is never overwritten. When it already exists (it holds the owner token of
another store, say the SQLite one while this start uses PostgreSQL), this store's token
goes to a file of its own beside it, named after the store (``owner-<id>.token``), and
the start says where.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from gateway.logging import get_logger
from gateway.services import Services

log = get_logger("portway.bootstrap")

OWNER = "owner"


def ensure_owner_token(services: Services) -> Path | None:
    """Create the first owner and write its token (mode 0600) when there is no owner yet.

    Returns the token file's path when one was written.
    """
    if services.principals.count_owners() > 0:
        return None
    wanted = Path(services.settings.security.owner_token_file)
    token = services.principals.create_token(OWNER, "owner", kind="user")
    wanted.parent.mkdir(parents=True, exist_ok=True)
    path = _write_new(wanted, token, _store_id(services.settings.database.url))
    if path != wanted:
        log.warning("the owner token file holds another store's token; left it alone",
                    kept=str(wanted.resolve()), path=str(path.resolve()))
    log.info("created the owner's token", path=str(path.resolve()))
    return path


def _store_id(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:8]


def _write_new(wanted: Path, token: str, store_id: str) -> Path:
    """Write ``token`` to ``wanted``, or to the first free ``owner-<id>[-n].token`` beside it."""
    candidates = [wanted] + [
        wanted.with_name(f"{wanted.stem}-{store_id}{'' if n == 1 else f'-{n}'}"
                         f"{wanted.suffix}") for n in range(1, 100)]
    for path in candidates:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(token + "\n")
        os.chmod(path, 0o600)
        return path
    raise FileExistsError(f"no free owner token file beside {wanted}")
