"""What a proxied call needs to know, kept off the database on the hot path.

Two caches:

* compiled connectors, by (connector id, version): the router, the validators, the
  options and the compiled policies. Versions never change once stored, so these live
  until evicted (least recently used first).
* resolved connections, by name: the record (public values, access policies), the
  decrypted secrets and the compiled connector of its current version, for
  ``proxy.cache_seconds``. A stale entry is served while one refresh runs in the
  background, for at most one more period; changes are therefore seen within two periods.

Secrets stay in this process's memory only; they are never logged or copied elsewhere.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gateway.errors import NotFound
from gateway.proxy.defaults import ConnectorDefaults
from gateway.proxy.options import ConnectorOptions, connector_options
from gateway.proxy.routing import Router
from gateway.proxy.validation import RequestValidator
from gateway.services import Services
from gateway.store.connections import ConnectionRecord
from importers import Connector

#: Builds a connector's compiled policies (``gateway.policies``), or None when it has none.
PolicyCompiler = Callable[[Connector], Any]


@dataclass(frozen=True)
class CompiledConnector:
    """Everything derived from one connector version, built once."""

    connector: Connector
    version: int
    router: Router
    validator: RequestValidator
    defaults: ConnectorDefaults
    options: ConnectorOptions
    policies: Any  # compiled policies, or None


@dataclass(frozen=True)
class ResolvedConnection:
    """One connection as calls see it until the entry is refreshed.

    ``derived`` holds what steps compute from the entry alone (the credentials' auth
    scheme, the parameters merged with the secrets...), once per entry instead of once
    per call: a refresh builds a new entry, so nothing in it outlives the values it was
    computed from.
    """

    record: ConnectionRecord
    compiled: CompiledConnector
    #: Never in a repr: an error message or a log line that prints the entry shows no secret.
    secrets: dict[str, str] = field(repr=False)
    loaded: float
    derived: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def parameters_with_secrets(self) -> dict[str, Any]:
        """The connection's public parameters overlaid with its secrets (read only)."""
        merged: dict[str, Any] | None = self.derived.get("parameters_with_secrets")
        if merged is None:
            merged = self.derived["parameters_with_secrets"] = {
                **(self.record.parameters or {}), **self.secrets}
        return merged


class ConnectorCache:
    """Compiled connector versions, least recently used evicted first."""

    def __init__(self, services: Services, compile_policies: PolicyCompiler | None = None,
                 size: int = 256) -> None:
        self._services = services
        self._compile_policies = compile_policies
        self._size = size
        self._entries: OrderedDict[tuple[str, int], CompiledConnector] = OrderedDict()
        self._lock = threading.Lock()  # loads run in worker threads

    def get(self, connector_id: str, version: int) -> CompiledConnector:
        """The compiled version (blocking: may read the database; run it in a thread)."""
        key = (connector_id, version)
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found
        stored = self._services.connectors.get(connector_id, version)
        compiled = self.compile(stored.connector, version)
        with self._lock:
            self._entries[key] = compiled
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return compiled

    def compile(self, connector: Connector, version: int) -> CompiledConnector:
        policies = self._compile_policies(connector) if self._compile_policies else None
        return CompiledConnector(
            connector=connector, version=version, router=Router(connector),
            validator=RequestValidator(connector), defaults=ConnectorDefaults(connector),
            options=connector_options(self._services.settings.proxy, connector),
            policies=policies)


class ConnectionCache:
    """Resolved connections by name, refreshed every ``ttl`` seconds."""

    def __init__(self, services: Services, connectors: ConnectorCache, ttl: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._services = services
        self._connectors = connectors
        self._ttl = ttl
        self._clock = clock
        self._entries: dict[str, ResolvedConnection] = {}
        self._loading: dict[str, asyncio.Future[ResolvedConnection]] = {}
        self._refreshing: set[asyncio.Future[ResolvedConnection]] = set()

    async def get(self, name: str) -> ResolvedConnection:
        entry = self._entries.get(name)
        if entry is not None:
            age = self._clock() - entry.loaded
            if age < self._ttl:
                return entry
            if age < 2 * self._ttl:
                if name not in self._loading:
                    self._refresh_in_background(name)
                return entry
        return await self._load(name)

    def forget(self, name: str | None = None) -> None:
        if name is None:
            self._entries.clear()
        else:
            self._entries.pop(name, None)

    def _refresh_in_background(self, name: str) -> None:
        task = asyncio.ensure_future(self._load(name))
        self._refreshing.add(task)  # the loop keeps only a weak reference to tasks

        def done(finished: asyncio.Future[ResolvedConnection]) -> None:
            self._refreshing.discard(finished)
            # A failed refresh (a deleted connection...) drops the entry; the next call
            # then reports the failure itself.
            if not finished.cancelled() and finished.exception() is not None:
                self._entries.pop(name, None)

        task.add_done_callback(done)

    async def _load(self, name: str) -> ResolvedConnection:
        pending = self._loading.get(name)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[ResolvedConnection] = asyncio.get_running_loop().create_future()
        self._loading[name] = future
        try:
            entry = await self._services.db.run(self._read, name)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: concurrent waiters re-raise it themselves
            raise
        finally:
            self._loading.pop(name, None)
        future.set_result(entry)
        if len(self._entries) > 50_000:
            self._entries.clear()
        self._entries[name] = entry
        return entry

    def _read(self, name: str) -> ResolvedConnection:
        services = self._services
        record = services.connections.get(name)
        version = services.connectors.current_version(record.connector_id)
        if version is None:
            raise NotFound(f"connection {name!r} uses connector {record.connector_id!r}, "
                           "which no longer exists")
        compiled = self._connectors.get(record.connector_id, version)
        return ResolvedConnection(record, compiled, services.connections.secrets(name),
                                  self._clock())
