from pathlib import Path

import pytest

from gateway.security.crypto import Keyring, SecretDecryptionError, open_sealed, seal


def test_seal_round_trips_and_hides_the_value() -> None:
    keyring = Keyring.generate()
    sealed = seal(keyring, "connection", "demo", "api_key", b"hunter2-secret")
    assert b"hunter2-secret" not in sealed.ciphertext + sealed.wrapped_key
    assert sealed.key_id == keyring.active
    assert open_sealed(keyring, "connection", "demo", "api_key", sealed) == b"hunter2-secret"


@pytest.mark.parametrize("owner_id, name", [("other", "api_key"), ("demo", "password")])
def test_a_ciphertext_moved_to_another_row_does_not_open(owner_id: str, name: str) -> None:
    keyring = Keyring.generate()
    sealed = seal(keyring, "connection", "demo", "api_key", b"value")
    with pytest.raises(SecretDecryptionError):
        open_sealed(keyring, "connection", owner_id, name, sealed)


def test_tampered_bytes_do_not_open() -> None:
    keyring = Keyring.generate()
    sealed = seal(keyring, "connection", "demo", "api_key", b"value")
    flipped = bytes([sealed.ciphertext[-1] ^ 1])
    tampered = type(sealed)(sealed.key_id, sealed.wrapped_key, sealed.ciphertext[:-1] + flipped)
    with pytest.raises(SecretDecryptionError):
        open_sealed(keyring, "connection", "demo", "api_key", tampered)


def test_old_keys_keep_opening_after_a_new_key_becomes_active() -> None:
    old = Keyring.generate()
    sealed = seal(old, "connection", "demo", "token", b"v")
    new = old.with_new_active_key()
    assert new.active != old.active
    assert open_sealed(new, "connection", "demo", "token", sealed) == b"v"
    with pytest.raises(SecretDecryptionError):
        open_sealed(new.only_active(), "connection", "demo", "token", sealed)


def test_keyring_file_is_private_and_round_trips(tmp_path: Path) -> None:
    keyring = Keyring.generate()
    path = tmp_path / "master.key"
    keyring.save(path)
    assert path.stat().st_mode & 0o777 == 0o600
    loaded = Keyring.load(path)
    assert loaded.active == keyring.active
    assert loaded.key(keyring.active) == keyring.key(keyring.active)
