"""Principals, their bearer tokens (hashed) and their roles."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

import sqlalchemy as sa

from gateway.errors import BadRequest
from gateway.security.tokens import new_token, token_hash
from gateway.store.database import Database
from gateway.store.tables import principals, role_assignments, tokens

ROLES = ("owner", "contributor", "reader")
_RANK = {role: rank for rank, role in enumerate(ROLES)}  # strongest first
KINDS = ("user", "service", "workflow")
GLOBAL = "*"


@dataclass(frozen=True)
class Principal:
    """An authenticated caller and its roles by scope (``*`` is global)."""

    name: str
    kind: str
    roles: dict[str, str]

    def role_on(self, scope: str) -> str | None:
        """The strongest role the principal holds on ``scope`` or globally."""
        roles = self.roles
        best: str | None = None
        for held in (roles.get(GLOBAL), roles.get(scope)):  # one role per scope at most
            if held in _RANK and (best is None or _RANK[held] < _RANK[best]):
                best = held
        return best


def validate_name(name: str, what: str = "principal") -> str:
    if not name or len(name) > 200 or not all(
            (c.isascii() and c.isalnum()) or c in "-_.@" for c in name):
        raise BadRequest(
            f"a {what} name is 1 to 200 letters, digits, '-', '_', '.' or '@'",
            details=[{"field": what, "value": name[:200]}],
        )
    return name


class PrincipalStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create_token(self, name: str, role: str | None, *, kind: str = "user",
                     scope: str = GLOBAL) -> str:
        """Create the principal if needed, give it ``role`` on ``scope``, return a new token."""
        validate_name(name)
        if role is not None and role not in ROLES:
            raise BadRequest(f"role must be one of {', '.join(ROLES)}", details=[{"role": role}])
        if kind not in KINDS:
            raise BadRequest(f"kind must be one of {', '.join(KINDS)}")
        token = new_token()
        now = time.time()
        with self.db.engine.begin() as conn:
            self._ensure(conn, name, kind, now)
            if role is not None:
                self._grant(conn, name, scope, role)
            conn.execute(tokens.insert().values(
                id=secrets.token_hex(8), principal=name, token_hash=token_hash(token),
                created_at=now,
            ))
        return token

    def ensure(self, name: str, kind: str = "user") -> None:
        with self.db.engine.begin() as conn:
            self._ensure(conn, name, kind, time.time())

    def grant(self, name: str, role: str, scope: str = GLOBAL) -> None:
        if role not in ROLES:
            raise BadRequest(f"role must be one of {', '.join(ROLES)}")
        with self.db.engine.begin() as conn:
            self._ensure(conn, name, "user", time.time())
            self._grant(conn, name, scope, role)

    def revoke(self, name: str, scope: str) -> None:
        with self.db.engine.begin() as conn:
            conn.execute(role_assignments.delete().where(
                role_assignments.c.principal == name, role_assignments.c.scope == scope))

    def authenticate(self, token: str) -> Principal | None:
        """The principal a bearer token belongs to, or None."""
        return self.by_token_hash(token_hash(token))

    def by_token_hash(self, digest: str) -> Principal | None:
        """The principal whose token hashes to ``digest`` (``token_hash``), or None."""
        with self.db.engine.connect() as conn:
            row = conn.execute(
                sa.select(principals.c.name, principals.c.kind)
                .join(tokens, tokens.c.principal == principals.c.name)
                .where(tokens.c.token_hash == digest)
            ).first()
            if row is None:
                return None
            roles = {
                r.scope: r.role
                for r in conn.execute(sa.select(role_assignments).where(
                    role_assignments.c.principal == row.name))
            }
        return Principal(name=row.name, kind=row.kind, roles=roles)

    def get(self, name: str) -> Principal | None:
        with self.db.engine.connect() as conn:
            row = conn.execute(sa.select(principals).where(principals.c.name == name)).first()
            if row is None:
                return None
            roles = {
                r.scope: r.role
                for r in conn.execute(sa.select(role_assignments).where(
                    role_assignments.c.principal == name))
            }
        return Principal(name=row.name, kind=row.kind, roles=roles)

    def count_owners(self) -> int:
        with self.db.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(role_assignments)
                       .where(role_assignments.c.role == "owner",
                              role_assignments.c.scope == GLOBAL)).scalar_one())

    @staticmethod
    def _ensure(conn: sa.Connection, name: str, kind: str, now: float) -> None:
        exists = conn.execute(sa.select(principals.c.name).where(principals.c.name == name)).first()
        if exists is None:
            conn.execute(principals.insert().values(name=name, kind=kind, created_at=now))

    @staticmethod
    def _grant(conn: sa.Connection, name: str, scope: str, role: str) -> None:
        conn.execute(role_assignments.delete().where(
            role_assignments.c.principal == name, role_assignments.c.scope == scope))
        conn.execute(role_assignments.insert().values(principal=name, scope=scope, role=role))
