"""Webhook triggers (``HttpWebhook``, ``ApiConnectionWebhook``): subscribed while their
workflow is enabled, unsubscribed when it is disabled, deleted or updated.

One ``BackgroundService`` per deployment (a singleton under the gateway's lease, so a
subscription is made once, never from two processes). Each ``tick`` compares what should
be subscribed — every webhook trigger of every enabled workflow not in the ``Error``
state, with its current version and callback URL — with the subscriptions kept in
``runtime_webhook_subscriptions`` (durable: a restart neither subscribes again nor forgets
to unsubscribe):

- a subscription nothing wants any more (the workflow was disabled or deleted, the trigger
  removed, a new version deployed, the signing key rotated) is unsubscribed: its sealed
  unsubscribe request is sent and the row goes;
- a row a crash left ``Subscribing`` (the process died during the subscribe call) is
  unsubscribed with the request kept beside it when that could be made before the answer
  (an ``unsubscribe`` naming ``listCallbackUrl()``, not ``triggerOutputs()``), then
  subscribed again, so no second live subscription is left behind;
- a trigger without a subscription is subscribed: ``subscribe`` (``HttpWebhook``) or the
  trigger's own inputs (``ApiConnectionWebhook``: a call of the connection's subscribe
  operation under the workflow's principal) with ``listCallbackUrl()`` the trigger's signed
  URL. What the subscriber answered (``{"statusCode", "headers", "body"}``) is what
  ``triggerOutputs()`` gives the ``unsubscribe`` block, evaluated at once and sealed; an
  ``ApiConnectionWebhook`` unsubscribes with a ``DELETE`` of the answer's ``Location``.
  A refused or failed subscribe puts the workflow in the ``Error`` state with
  ``stateMessage`` saying why; enabling or deploying it again tries again;
- a webhook action's subscription whose run ended without it (cancelled, or timed out
  by the run duration limit, here or while no server ran) is unsubscribed too.

A callback POSTed to the trigger's URL starts a run (``runtime/api/triggers.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from gateway import BackgroundService, NotFound, PortwayError, Services
from gateway.expressions import ExpressionError
from runtime.engine import Clock, SystemClock
from runtime.errors import TriggerRequestInvalid
from runtime.store.webhooks import Subscription, WebhookRows
from runtime.triggers.scope import TriggerScope, split_and_filter, workflow_headers
from runtime.triggers.subscriptions import (
    WEBHOOK_TRIGGER_TYPES,
    connection_request,
    fingerprint,
    http_request,
    outputs_of_answer,
    send,
    trigger_callback_url,
    unsubscribe_at_location,
    with_callback_url,
)

if TYPE_CHECKING:
    from runtime.host import RuntimeHost

__all__ = ["WebhookSubscriber", "split_callback", "subscribe_block", "unsubscribe",
           "unsubscribe_block"]

log = logging.getLogger("portway.runtime.triggers")


@dataclass(frozen=True)
class _Wanted:
    workflow: str
    name: str
    version: str
    trigger: Mapping[str, Any]
    url: str
    fingerprint: str


def _kind(trigger: Mapping[str, Any]) -> str:
    return str(trigger.get("type", "")).lower()


def subscribe_block(kind: str, inputs: Mapping[str, Any], url: str, evaluate: Any,
                    version: Any) -> dict[str, Any]:
    """The subscribe request of a webhook trigger's or action's inputs.

    Raises:
        ExpressionError, PortwayError: The inputs do not make a request.
    """
    if kind == "httpwebhook":
        return http_request(evaluate(with_callback_url(inputs.get("subscribe"), url)),
                            "subscribe")
    own = {key: value for key, value in inputs.items() if key != "host"}
    return connection_request(version, evaluate(with_callback_url(own, url)),
                              inputs.get("host"))


def unsubscribe_block(kind: str, inputs: Mapping[str, Any], url: str, evaluate: Any,
                      subscribe: Mapping[str, Any], answer: Mapping[str, Any]
                      ) -> dict[str, Any] | None:
    """The unsubscribe request, or None when there is nothing to call.

    Raises:
        ExpressionError, PortwayError: The ``unsubscribe`` block does not make a request.
    """
    if kind == "httpwebhook":
        block = inputs.get("unsubscribe")
        if not block:
            return None
        return http_request(evaluate(with_callback_url(block, url)), "unsubscribe")
    return unsubscribe_at_location(subscribe, answer)


def split_callback(host: RuntimeHost, version: Any, name: str, trigger: Mapping[str, Any],
                   outputs: dict[str, Any]) -> list[dict[str, Any]]:
    """A callback's trigger outputs, one per run: ``splitOn`` (a ``batch`` connector
    trigger's ``@triggerBody()?['value']``) and ``conditions`` as for polling triggers.

    Raises:
        TriggerRequestInvalid: ``splitOn`` or a condition cannot be evaluated on the call.
    """
    try:
        return [each for _, each in split_and_filter(
            host, version, name, trigger, outputs, 0, datetime.now(UTC))]
    except ExpressionError as exc:
        raise TriggerRequestInvalid(f"the callback does not fit the trigger's splitOn or "
                                    f"conditions: {exc}") from None


class WebhookSubscriber:
    """Keeps webhook triggers subscribed; ``service`` is the supervised loop."""

    def __init__(self, host: RuntimeHost, *, clock: Clock | None = None,
                 interval: float = 1.0) -> None:
        self.host = host
        self.clock: Clock = clock or SystemClock()
        self.interval = interval
        self.rows = WebhookRows(host.services)
        self.service = BackgroundService("runtime-webhooks", self.work, singleton=True)

    async def work(self, services: Services) -> None:
        while True:
            await self.tick()
            await self.clock.sleep(self.interval)

    async def tick(self) -> None:
        """One round: unsubscribe what nothing wants, subscribe what is missing."""
        db = self.host.services.db
        wanted = await db.run(self._wanted)
        existing = await db.run(self.rows.triggers)
        kept: set[tuple[str, str]] = set()
        for found in existing:
            want = wanted.get((found.workflow, found.name))
            if want is not None and want.fingerprint == found.fingerprint \
                    and found.status == "Subscribed":
                kept.add((found.workflow, found.name))
            else:
                await self.unsubscribe(found)
        for key, want in wanted.items():
            if key not in kept:
                await self._subscribe(want)
        for found in await db.run(self.rows.of_ended_runs):
            await self.unsubscribe(found)

    def _wanted(self) -> dict[tuple[str, str], _Wanted]:
        wanted: dict[tuple[str, str], _Wanted] = {}
        hooked = []
        for record in self.host.workflows.all():
            if not record.enabled or record.state == "Error":
                continue
            triggers = record.definition.get("triggers") or {}
            hooks = {name: t for name, t in triggers.items()
                     if isinstance(t, Mapping) and _kind(t) in WEBHOOK_TRIGGER_TYPES}
            if hooks:
                hooked.append((record, hooks))
        keys = self.host.workflows.trigger_keys([record.name for record, _ in hooked])
        for record, hooks in hooked:
            key = keys.get(record.name)
            if key is None:
                continue
            for name, trigger in hooks.items():
                url = trigger_callback_url(self.host, record.name, name, key)
                wanted[(record.name, name)] = _Wanted(
                    record.name, name, record.version, trigger, url,
                    fingerprint(record.version, name, url))
        return wanted

    async def _subscribe(self, want: _Wanted) -> None:
        db = self.host.services.db
        try:
            version = await db.run(self.host.workflows.version, want.version)
        except NotFound:
            return
        now = self.clock.now()
        kind = _kind(want.trigger)
        inputs = want.trigger.get("inputs") if isinstance(want.trigger.get("inputs"),
                                                          Mapping) else {}
        assert isinstance(inputs, Mapping)
        scope = TriggerScope(self.host, version, want.name, None, now)
        try:
            request = subscribe_block(kind, inputs, want.url, scope.evaluate, version)
        except (ExpressionError, PortwayError) as exc:
            await self._failed(want, str(exc))
            return
        subscription = Subscription(
            id=fingerprint("trigger", want.workflow, want.name)[:32], workflow=want.workflow,
            name=want.name, run_id=None, action_key=None, version=want.version,
            fingerprint=want.fingerprint, status="Subscribing", response=None)
        # An unsubscribe that needs no answer (no triggerOutputs()) is known now: kept
        # with the row, it ends the subscription even if this process dies in the call.
        try:
            early = unsubscribe_block(kind, inputs, want.url, scope.evaluate, request, {})
        except (ExpressionError, PortwayError):
            early = None
        await db.run(self.rows.begin, subscription, early)
        try:
            answer = await send(self.host, version, request,
                                workflow_headers(version, want.name, want.trigger))
        except PortwayError as exc:
            await db.run(self.rows.remove, subscription.id)
            await self._failed(want, exc.message)
            return
        outputs = outputs_of_answer(answer)
        if answer.status >= 400:
            await db.run(self.rows.remove, subscription.id)
            await self._failed(want, f"the subscriber answered {answer.status}")
            return
        unsubscribe = early
        if unsubscribe is None:
            answered = TriggerScope(self.host, version, want.name, outputs, now)
            try:
                unsubscribe = unsubscribe_block(kind, inputs, want.url, answered.evaluate,
                                                request, outputs)
            except (ExpressionError, PortwayError) as exc:
                log.warning("trigger %s/%s: its unsubscribe cannot be made: %s",
                            want.workflow, want.name, exc)
        await db.run(self.rows.subscribed, subscription.id, outputs, unsubscribe)
        log.info("trigger %s/%s subscribed", want.workflow, want.name)

    async def _failed(self, want: _Wanted, why: str) -> None:
        message = f"The subscription of the trigger '{want.name}' failed: {why}"
        log.warning("workflow %s: %s", want.workflow, message)
        await self.host.services.db.run(self.rows.set_error, want.workflow, message)

    async def unsubscribe(self, found: Subscription) -> None:
        await unsubscribe(self.host, self.rows, found)


async def unsubscribe(host: RuntimeHost, rows: WebhookRows, found: Subscription) -> None:
    """Send a subscription's unsubscribe request (if it has one) and forget it. A row
    left ``Subscribing`` by a crash is unsubscribed too when its request was known before
    the answer. A failed unsubscribe is logged: the row goes all the same."""
    db = host.services.db
    request = await db.run(rows.unsubscribe_request, found.id)
    if request is not None:
        try:
            version = await db.run(host.workflows.version, found.version)
            triggers = version.definition.get("triggers")
            trigger = triggers.get(found.name) if isinstance(triggers, Mapping) else None
            headers = workflow_headers(version, found.name, trigger if isinstance(
                trigger, Mapping) and found.run_id is None else {})
            if found.run_id is not None:  # a webhook action's: its run's
                headers["x-ms-workflow-run-id"] = found.run_id
            answer = await send(host, version, request, headers)
            if answer.status >= 400 and answer.status not in (404, 410):
                log.warning("%s/%s: the unsubscribe was answered %s", found.workflow,
                            found.name, answer.status)
        except PortwayError as exc:
            log.warning("%s/%s: the unsubscribe failed: %s", found.workflow, found.name,
                        exc.message)
    await db.run(rows.remove, found.id)
