"""Short leases in the ``locks`` table: one holder at a time across processes.

A lease is a row (name, holder, expires_at). Taking it is an insert (the primary key
refuses a second holder) or, when the row has expired, a conditional update; releasing
it deletes the row if it is still ours. This works alike on SQLite and PostgreSQL, and an
expired lease of a crashed process is simply taken over.
"""

from __future__ import annotations

import secrets
import time

import sqlalchemy as sa

from gateway.store.database import Database
from gateway.store.tables import locks


class Lease:
    """One named lease; ``holder`` is random per instance."""

    def __init__(self, db: Database, name: str, ttl: float = 30.0) -> None:
        self.db = db
        self.name = name
        self.ttl = ttl
        self.holder = secrets.token_hex(8)

    def try_acquire(self) -> bool:
        """Take the lease if nobody holds it (or the holder's time ran out)."""
        now = time.time()
        try:
            with self.db.engine.begin() as conn:
                conn.execute(locks.insert().values(name=self.name, holder=self.holder,
                                                   expires_at=now + self.ttl))
            return True
        except sa.exc.IntegrityError:
            pass
        with self.db.engine.begin() as conn:
            taken = conn.execute(locks.update().where(
                locks.c.name == self.name, locks.c.expires_at < now,
            ).values(holder=self.holder, expires_at=now + self.ttl))
        return taken.rowcount == 1

    def renew(self) -> bool:
        """Extend the lease if it is still ours; False when another holder has it."""
        now = time.time()
        with self.db.engine.begin() as conn:
            kept = conn.execute(locks.update().where(
                locks.c.name == self.name, locks.c.holder == self.holder,
            ).values(expires_at=now + self.ttl))
        return kept.rowcount == 1

    def release(self) -> None:
        with self.db.engine.begin() as conn:
            conn.execute(locks.delete().where(locks.c.name == self.name,
                                              locks.c.holder == self.holder))
