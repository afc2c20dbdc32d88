"""First start: make sure an owner exists, writing its token to ``var/owner.token``."""

from __future__ import annotations

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
    path = Path(services.settings.security.owner_token_file)
    token = services.principals.create_token(OWNER, "owner", kind="user")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(token + "\n")
    os.chmod(path, 0o600)
    log.info("created the owner's token", path=str(path.resolve()))
    return path
