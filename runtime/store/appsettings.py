"""App settings (``local.settings.json``'s ``Values``): sealed in the gateway's vault,
read by ``appsetting()`` and by ``@appsetting()`` references, never returned.

Reads are served from a copy at most ``ttl`` seconds old, so a run's many ``appsetting()``
calls do not each open the vault; a change made in this process is seen at once.
"""

from __future__ import annotations

import threading
import time

from gateway import NotFound, Services

OWNER_KIND = "runtime.appsettings"
OWNER_ID = "app"


class AppSettingsStore:
    """The engine's ``AppSettings`` and the API's store (sync)."""

    def __init__(self, services: Services, ttl: float = 2.0) -> None:
        self.db = services.db
        self.vault = services.vault
        self.ttl = ttl
        self._lock = threading.Lock()
        self._values: dict[str, str] = {}
        self._read_at = 0.0

    def get(self, name: str) -> str | None:
        with self._lock:
            if time.monotonic() - self._read_at > self.ttl:
                self._values = self.vault.get_all(OWNER_KIND, OWNER_ID)
                self._read_at = time.monotonic()
            return self._values.get(name)

    def names(self) -> list[str]:
        return sorted(self.vault.names(OWNER_KIND, OWNER_ID))

    def merge(self, values: dict[str, str]) -> None:
        with self.db.write() as conn:
            self.vault.put_many(conn, OWNER_KIND, OWNER_ID, values)
        self.forget()

    def delete(self, name: str) -> None:
        """Raises NotFound."""
        if name not in self.vault.names(OWNER_KIND, OWNER_ID):
            raise NotFound(f"no app setting {name!r}")
        with self.db.write() as conn:
            self.vault.delete_owner(conn, OWNER_KIND, OWNER_ID, [name])
        self.forget()

    def forget(self) -> None:
        with self._lock:
            self._read_at = 0.0
