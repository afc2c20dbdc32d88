"""Secrets at rest: envelope encryption with AES-256-GCM.

Each secret gets its own random data key. The value is sealed with the data key; the data
key is sealed (wrapped) with a master key from the keyring. Both seals bind the secret's
identity (``owner kind / owner id / name``) as associated data, so a ciphertext copied to
another row, or a wrapped key paired with another value, fails to open. The master key's
id is stored beside each ciphertext so that older keys keep opening their secrets until
``portway keys rotate`` has re-sealed everything under the active key.

Stored layout: ``wrapped_key = nonce(12) || AESGCM(master).seal(data key)`` and
``ciphertext = nonce(12) || AESGCM(data key).seal(value)``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets as _random
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gateway.errors import ConfigError, PortwayError

NONCE_BYTES = 12
KEY_BYTES = 32


class SecretDecryptionError(PortwayError):
    """A stored secret does not open: wrong key, moved row, or tampered bytes."""

    code = "SecretUnreadable"


@dataclass(frozen=True)
class SealedSecret:
    key_id: str
    wrapped_key: bytes
    ciphertext: bytes


class Keyring:
    """Master keys by id, one of them active for sealing."""

    def __init__(self, keys: dict[str, bytes], active: str, source: Path | None = None) -> None:
        if active not in keys:
            raise ConfigError("the keyring's active key is missing")
        for key_id, key in keys.items():
            if len(key) != KEY_BYTES:
                raise ConfigError(f"master key {key_id!r} is not {KEY_BYTES} bytes")
        self._keys = dict(keys)
        self.active = active
        #: The keyring file these keys came from, re-read when a secret names a key this
        #: process does not know yet (``portway keys rotate`` ran in another process).
        self.source = source

    @property
    def key_ids(self) -> list[str]:
        return list(self._keys)

    def key(self, key_id: str) -> bytes:
        try:
            return self._keys[key_id]
        except KeyError:
            raise SecretDecryptionError(
                f"the master key {key_id!r} that sealed this secret is not in the keyring"
            ) from None

    def with_new_active_key(self) -> Keyring:
        key_id = new_key_id()
        return Keyring({**self._keys, key_id: os.urandom(KEY_BYTES)}, key_id, self.source)

    def only_active(self) -> Keyring:
        return Keyring({self.active: self._keys[self.active]}, self.active, self.source)

    def refreshed(self) -> Keyring:
        """This keyring plus the keys now in its file, the file's active key active.

        Lets a running gateway open secrets that ``portway keys rotate`` re-sealed under a
        new key, and seal new ones under it, without a restart.
        """
        if self.source is None or not self.source.is_file():
            return self
        stored = Keyring.load(self.source)
        keys = {**self._keys, **{k: stored.key(k) for k in stored.key_ids}}
        return Keyring(keys, stored.active, self.source)

    @classmethod
    def from_single_key(cls, encoded: str) -> Keyring:
        """A keyring of one key given as base64 (the ``security.master_key`` setting)."""
        try:
            key = base64.b64decode(encoded, validate=True)
        except ValueError:
            raise ConfigError("security.master_key is not valid base64") from None
        if len(key) != KEY_BYTES:
            raise ConfigError(f"security.master_key must be {KEY_BYTES} bytes of base64")
        key_id = "env-" + hashlib.sha256(key).hexdigest()[:12]
        return cls({key_id: key}, key_id)

    # --- the keyring file -------------------------------------------------------------

    @classmethod
    def load(cls, path: Path) -> Keyring:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            keys = {k: base64.b64decode(v) for k, v in document["keys"].items()}
            return cls(keys, document["active"], path)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ConfigError(f"the keyring file {str(path)!r} is unreadable: {exc}") from None

    def save(self, path: Path) -> None:
        """Write the keyring with mode 0600, atomically."""
        path.parent.mkdir(parents=True, exist_ok=True)
        document = {
            "active": self.active,
            "keys": {k: base64.b64encode(v).decode() for k, v in self._keys.items()},
        }
        temporary = path.with_suffix(path.suffix + ".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle)
        os.replace(temporary, path)

    @classmethod
    def generate(cls) -> Keyring:
        key_id = new_key_id()
        return cls({key_id: os.urandom(KEY_BYTES)}, key_id)


def new_key_id() -> str:
    return "k-" + _random.token_hex(6)


def associated_data(owner_kind: str, owner_id: str, name: str) -> bytes:
    # Length-prefixed so that no two identities encode alike.
    parts = [p.encode("utf-8") for p in ("portway-secret-v1", owner_kind, owner_id, name)]
    return b"".join(len(p).to_bytes(4, "big") + p for p in parts)


def seal(keyring: Keyring, owner_kind: str, owner_id: str, name: str, value: bytes) -> SealedSecret:
    """Encrypt ``value`` for the secret identified by (owner_kind, owner_id, name)."""
    aad = associated_data(owner_kind, owner_id, name)
    data_key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = nonce + AESGCM(data_key).encrypt(nonce, value, aad)
    key_id = keyring.active
    wrap_nonce = os.urandom(NONCE_BYTES)
    wrapped = wrap_nonce + AESGCM(keyring.key(key_id)).encrypt(
        wrap_nonce, data_key, aad + key_id.encode()
    )
    return SealedSecret(key_id=key_id, wrapped_key=wrapped, ciphertext=ciphertext)


def open_sealed(keyring: Keyring, owner_kind: str, owner_id: str, name: str,
                sealed: SealedSecret) -> bytes:
    """Decrypt a secret sealed by ``seal`` for the same identity."""
    aad = associated_data(owner_kind, owner_id, name)
    master = keyring.key(sealed.key_id)
    try:
        data_key = AESGCM(master).decrypt(
            sealed.wrapped_key[:NONCE_BYTES], sealed.wrapped_key[NONCE_BYTES:],
            aad + sealed.key_id.encode(),
        )
        return AESGCM(data_key).decrypt(
            sealed.ciphertext[:NONCE_BYTES], sealed.ciphertext[NONCE_BYTES:], aad
        )
    except (InvalidTag, ValueError):
        raise SecretDecryptionError(
            f"the secret {name!r} of {owner_kind} {owner_id!r} does not decrypt "
            "(moved, tampered with, or sealed under another key)"
        ) from None
