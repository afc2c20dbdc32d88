"""The ASGI lifespan protocol, from the server's side: start the app, later stop it."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.types import ASGIApp, Message

from gateway.logging import get_logger

log = get_logger("portway.server")


class LifespanFailed(Exception):
    """The app said it could not start (or stop); the message says why."""


class Lifespan:
    """Runs the app's lifespan task: ``startup()`` before serving, ``shutdown()`` after.

    ``state`` is the lifespan state the app may fill at start-up; every request's scope
    gets a shallow copy of it, as the ASGI specification says. An app that ends its
    lifespan call without a word (it does not speak the lifespan protocol) is served
    without one; one that answers ``startup.failed`` is not served.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.state: dict[str, Any] = {}
        self._to_app: asyncio.Queue[Message] = asyncio.Queue()
        self._from_app: asyncio.Queue[Message] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def startup(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())
        await self._to_app.put({"type": "lifespan.startup"})
        answer = await self._answer()
        if answer["type"] == "lifespan.ended":
            self._task = None  # no lifespan: nothing to run at shutdown either
            return
        if answer["type"] != "lifespan.startup.complete":
            raise LifespanFailed(str(answer.get("message") or "the app failed to start"))

    async def shutdown(self) -> None:
        if self._task is None or self._task.done():
            return
        await self._to_app.put({"type": "lifespan.shutdown"})
        answer = await self._answer()
        if answer["type"] != "lifespan.shutdown.complete":
            raise LifespanFailed(str(answer.get("message") or "the app failed to stop"))

    async def _answer(self) -> Message:
        """The app's next lifespan message, or ``lifespan.ended`` when its task ends
        first."""
        assert self._task is not None
        getter = asyncio.ensure_future(self._from_app.get())
        done, _ = await asyncio.wait({getter, self._task},
                                     return_when=asyncio.FIRST_COMPLETED)
        if getter in done:
            return getter.result()
        getter.cancel()
        return {"type": "lifespan.ended"}

    async def _run(self) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.3"},
                 "state": self.state}
        try:
            await self.app(scope, self._to_app.get, self._from_app.put)
        except Exception as exc:
            # Starlette reports a failed start itself (startup.failed), then re-raises;
            # other apps may raise to say they have no lifespan.
            log.error("the app's lifespan raised", error_type=type(exc).__name__,
                      exc_info=exc)
