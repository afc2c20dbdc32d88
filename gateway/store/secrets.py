"""The vault: sealed secrets by owner, opened only when a call needs them."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa

from gateway.logging import register_secret
from gateway.security.crypto import Keyring, SealedSecret, open_sealed, seal
from gateway.store.database import Database
from gateway.store.tables import secrets

_ONE = sa.select(secrets).where(
    secrets.c.owner_kind == sa.bindparam("owner_kind"),
    secrets.c.owner_id == sa.bindparam("owner_id"), secrets.c.name == sa.bindparam("name"))
#: Opened values kept per sealed row, at most (a hot secret is opened once, not per call).
_OPENED_MOST = 512

#: Re-seals one ``Vault.seal_text`` token of (owner_kind, owner_id, name) under the
#: rotation's new key; raises ValueError when the token does not open.
Reseal = Callable[[str, str, str, str], str]
#: Re-seals, inside the rotation's transaction, the tokens someone keeps in its own rows;
#: answers how many moved.
ResealRows = Callable[[sa.Connection, Reseal], int]


class Vault:
    def __init__(self, db: Database, keyring: Keyring) -> None:
        self.db = db
        self.keyring = keyring
        # Keyed by the sealed row itself: a secret written again (another process's
        # rotation) is new ciphertext, so a stale value is never served.
        self._opened: dict[tuple[str, str, str, str, bytes, bytes], str] = {}

    def put_many(self, conn: sa.Connection, owner_kind: str, owner_id: str,
                 values: dict[str, str]) -> None:
        """Seal and store ``values`` inside the caller's transaction."""
        now = time.time()
        for name, value in values.items():
            sealed = seal(self.keyring, owner_kind, owner_id, name, value.encode("utf-8"))
            conn.execute(secrets.delete().where(
                secrets.c.owner_kind == owner_kind, secrets.c.owner_id == owner_id,
                secrets.c.name == name))
            conn.execute(secrets.insert().values(
                owner_kind=owner_kind, owner_id=owner_id, name=name, key_id=sealed.key_id,
                wrapped_key=sealed.wrapped_key, ciphertext=sealed.ciphertext, updated_at=now))

    def delete_owner(self, conn: sa.Connection, owner_kind: str, owner_id: str,
                     names: list[str] | None = None) -> None:
        query = secrets.delete().where(secrets.c.owner_kind == owner_kind,
                                       secrets.c.owner_id == owner_id)
        if names is not None:
            query = query.where(secrets.c.name.in_(names))
        conn.execute(query)

    def names(self, owner_kind: str, owner_id: str) -> list[str]:
        with self.db.engine.connect() as conn:
            return [r.name for r in conn.execute(sa.select(secrets.c.name).where(
                secrets.c.owner_kind == owner_kind, secrets.c.owner_id == owner_id))]

    def last_written(self, owner_kind: str, owner_id: str) -> float | None:
        """When an owner's secrets were last written (sealed or re-sealed), or None when it
        has none."""
        with self.db.engine.connect() as conn:
            value = conn.execute(sa.select(sa.func.max(secrets.c.updated_at)).where(
                secrets.c.owner_kind == owner_kind, secrets.c.owner_id == owner_id)).scalar()
        return float(value) if value is not None else None

    def get(self, owner_kind: str, owner_id: str, name: str,
            conn: sa.Connection | None = None) -> str | None:
        """Open one secret, or None when there is none; read now (on ``conn`` when given),
        so a value written by any process is the one answered. The value is registered
        for log redaction."""
        params = {"owner_kind": owner_kind, "owner_id": owner_id, "name": name}
        if conn is None:
            with self.db.engine.connect() as own:
                row = own.execute(_ONE, params).first()
        else:
            row = conn.execute(_ONE, params).first()
        if row is None:
            return None
        cached = (owner_kind, owner_id, name, row.key_id, bytes(row.wrapped_key),
                  bytes(row.ciphertext))
        value = self._opened.get(cached)
        if value is None:
            value = self._open(row)
            if len(self._opened) >= _OPENED_MOST:
                self._opened.clear()
            self._opened[cached] = value
        return value

    def get_all(self, owner_kind: str, owner_id: str) -> dict[str, str]:
        """Open every secret of an owner. Values are registered for log redaction."""
        with self.db.engine.connect() as conn:
            rows = conn.execute(sa.select(secrets).where(
                secrets.c.owner_kind == owner_kind, secrets.c.owner_id == owner_id)).all()
        values = {}
        for row in rows:
            values[row.name] = self._open(row)
        return values

    def seal_text(self, owner_kind: str, owner_id: str, name: str, value: str) -> str:
        """Seal a value its owner keeps in its own rows (not in the vault's table): a
        printable token that only ``open_text`` with the same identity opens. Tokens are
        re-sealed by ``rotate`` through the ``elsewhere`` hook of whoever keeps them (an
        extension's ``reseal``); they open while the keyring keeps their key."""
        return _token(seal(self.keyring, owner_kind, owner_id, name, value.encode("utf-8")))

    def open_text(self, owner_kind: str, owner_id: str, name: str, token: str) -> str:
        """Open a token of ``seal_text`` (the value is not registered for log redaction:
        its owner never logs it, and a registry of every opened value would only grow).

        Raises:
            ValueError: Not a token, or not sealed for this identity or by a known key.
        """
        key_id = token.split(".", 1)[0]
        return _open_token(self._keyring_for(key_id), owner_kind, owner_id, name, token)

    def _open(self, row: Any) -> str:
        sealed = SealedSecret(key_id=row.key_id, wrapped_key=row.wrapped_key,
                              ciphertext=row.ciphertext)
        value = open_sealed(self._keyring_for(row.key_id), row.owner_kind, row.owner_id,
                            row.name, sealed).decode("utf-8")
        register_secret(value)
        return value

    def _keyring_for(self, key_id: str) -> Keyring:
        """The keyring, re-read from its file first when it lacks ``key_id``."""
        if key_id not in self.keyring.key_ids:
            self.keyring = self.keyring.refreshed()
        return self.keyring

    def rotate(self, new_keyring: Keyring, elsewhere: Sequence[ResealRows] = ()) -> int:
        """Re-seal every secret under ``new_keyring``'s active key, and the ``seal_text``
        tokens kept in other rows (``elsewhere``: each re-seals its own); returns how many.

        Runs in one transaction: either every secret moves to the new key or none does.
        """
        count = 0

        def reseal(owner_kind: str, owner_id: str, name: str, token: str) -> str:
            value = _open_token(new_keyring, owner_kind, owner_id, name, token)
            return _token(seal(new_keyring, owner_kind, owner_id, name,
                               value.encode("utf-8")))

        with self.db.engine.begin() as conn:
            rows = conn.execute(sa.select(secrets)).all()
            for row in rows:
                value = open_sealed(new_keyring, row.owner_kind, row.owner_id, row.name,
                                    SealedSecret(row.key_id, row.wrapped_key, row.ciphertext))
                sealed = seal(new_keyring, row.owner_kind, row.owner_id, row.name, value)
                conn.execute(secrets.update().where(
                    secrets.c.owner_kind == row.owner_kind, secrets.c.owner_id == row.owner_id,
                    secrets.c.name == row.name,
                ).values(key_id=sealed.key_id, wrapped_key=sealed.wrapped_key,
                         ciphertext=sealed.ciphertext, updated_at=time.time()))
                count += 1
            for reseal_rows in elsewhere:
                count += reseal_rows(conn, reseal)
        self.keyring = new_keyring
        return count


def _token(sealed: SealedSecret) -> str:
    return ".".join((sealed.key_id, base64.urlsafe_b64encode(sealed.wrapped_key).decode(),
                     base64.urlsafe_b64encode(sealed.ciphertext).decode()))


def _open_token(keyring: Keyring, owner_kind: str, owner_id: str, name: str,
                token: str) -> str:
    key_id, _, rest = token.rpartition(".")
    key_id, _, wrapped = key_id.rpartition(".")
    try:
        sealed = SealedSecret(key_id, base64.urlsafe_b64decode(wrapped),
                              base64.urlsafe_b64decode(rest))
        return open_sealed(keyring, owner_kind, owner_id, name, sealed).decode("utf-8")
    except Exception as exc:
        raise ValueError("the sealed value cannot be opened") from exc
