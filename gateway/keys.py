"""Finding the master keyring at start: from the settings, the keyring file, or (in
development mode only) a new file created on first start."""

from __future__ import annotations

from pathlib import Path

from gateway.errors import ConfigError
from gateway.logging import get_logger
from gateway.security.crypto import Keyring
from gateway.settings import Settings

log = get_logger("portway.keys")


def load_keyring(settings: Settings, *, create: bool = True) -> Keyring:
    """The keyring to seal and open secrets with.

    Raises:
        ConfigError: In production mode when no master key is configured.
    """
    security = settings.security
    path = Path(security.master_key_file)
    if security.master_key:
        single = Keyring.from_single_key(security.master_key.reveal())
        if path.is_file():
            # Older keys from the file keep opening their secrets until rotation.
            stored = Keyring.load(path)
            keys = {k: stored.key(k) for k in stored.key_ids}
            keys[single.active] = single.key(single.active)
            return Keyring(keys, single.active, path)
        return single
    if path.is_file():
        return Keyring.load(path)
    if security.mode == "production":
        raise ConfigError(
            "no master key: set PORTWAY_SECURITY_MASTER_KEY or security.master_key_file "
            "(production mode never creates one)"
        )
    if not create:
        raise ConfigError(f"no keyring at {str(path)!r}")
    keyring = Keyring.generate()
    keyring.save(path)
    keyring.source = path
    log.info("created a development master key", path=str(path))
    return keyring
