"""Supervises the background services extensions bring, for as long as the app runs.

A service that returns or raises is logged and started again after a back-off that grows
to a minute. A ``singleton`` service runs in one process of the deployment at a time: the
process that holds its lease (``gateway/store/leases.py``, in the shared database) runs
it and renews the lease; the others wait to take over when the holder stops renewing
(it crashed, or it shut down and released the lease).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

from gateway.extensions import BackgroundService
from gateway.logging import get_logger
from gateway.services import Services
from gateway.store.leases import Lease

log = get_logger("portway.supervisor")

LEASE_SECONDS = 15.0
MAX_BACKOFF_SECONDS = 60.0


class Supervisor:
    """Runs and restarts background services; ``stop`` cancels them all."""

    def __init__(self, services: Services, *, lease_seconds: float = LEASE_SECONDS) -> None:
        self.services = services
        self.lease_seconds = lease_seconds
        self._tasks: list[asyncio.Task[None]] = []

    def start(self, background: Sequence[BackgroundService]) -> None:
        for service in background:
            run = self._singleton(service) if service.singleton else self._keep_running(service)
            self._tasks.append(asyncio.create_task(run, name=f"portway:{service.name}"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()

    async def _keep_running(self, service: BackgroundService) -> None:
        backoff = 1.0
        while True:
            try:
                await service.run(self.services)
                log.warning("background service returned; starting it again",
                            service=service.name)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("background service failed; starting it again",
                              service=service.name, in_seconds=backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    async def _singleton(self, service: BackgroundService) -> None:
        db = self.services.db
        lease = Lease(db, f"service/{service.name}", ttl=self.lease_seconds)
        while True:
            if not await db.run(lease.try_acquire):
                await asyncio.sleep(self.lease_seconds / 3)
                continue
            log.info("running singleton service here", service=service.name)
            task = asyncio.create_task(self._keep_running(service))
            try:
                while not task.done():
                    await asyncio.sleep(self.lease_seconds / 3)
                    if not await db.run(lease.renew):
                        log.warning("lost the lease of a singleton service",
                                    service=service.name)
                        break
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
                with contextlib.suppress(Exception):
                    await db.run(lease.release)
