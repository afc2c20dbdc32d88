"""Webhook actions: ``HttpWebhook`` and ``ApiConnectionWebhook`` subscribe, wait durably
for the callback, and unsubscribe.

The action subscribes with ``listCallbackUrl()`` its own signed URL (naming the run and
the action: ``runtime/triggers/subscriptions.py``) — ``inputs.subscribe`` for
``HttpWebhook``, the action's inputs as a call of its connection (under the workflow's
principal, through the gateway's pipeline) for ``ApiConnectionWebhook``. A refused
subscribe fails the action with the subscriber's answer. Then the action suspends: the run
waits as a durable timer, never a sleeping task, and survives restarts. A callback POSTed
to the URL is stored and wakes the run (``runtime/api/callbacks.py``); the action then
succeeds with the callback's ``{"headers", "body"}`` as its outputs. Without a callback by
``limit.timeout`` (default: the run retention, as a run lasts at most that long) the
action ends ``TimedOut``. Either way the subscription is unsubscribed (``unsubscribe``
evaluated right after the subscribe; for a connector, a ``DELETE`` of the subscribe's
``Location``), and so it is when the run is cancelled or timed out while it waits: the
subscription's row outlives the run, and the webhook service's round
(``runtime/triggers/webhooks.py``) unsubscribes the rows of ended runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from gateway import PortwayError
from gateway.expressions import ExpressionError
from runtime.actions.base import ActionContext, ActionResult, Finding, Suspend
from runtime.actions.common import LeafHandler, check_kind, failed, require, succeeded
from runtime.actions.connectors import computed_reference, error_result, reference_name
from runtime.actions.http_content import answer_result
from runtime.engine.policies import timeout_of
from runtime.host import RuntimeHost, host_of
from runtime.store.webhooks import Subscription, WebhookRows
from runtime.triggers.subscriptions import (
    action_callback_url,
    fingerprint,
    outputs_of_answer,
    send,
    shown,
)
from runtime.triggers.webhooks import subscribe_block, unsubscribe, unsubscribe_block

__all__ = ["ApiConnectionWebhook", "HttpWebhook"]


class _Webhook(LeafHandler):
    """What both webhook actions do; ``kind`` picks how they subscribe."""

    kind = ""

    async def run(self, context: ActionContext) -> ActionResult | Suspend:
        host = host_of(context.services)
        db = host.services.db
        rows = WebhookRows(host.services)
        raw = context.inputs if isinstance(context.inputs, Mapping) else {}
        workflow = context.version.workflow
        key = await db.run(host.workflows.callback_key, workflow)
        if key is None:
            return failed("WorkflowNotFound",
                          f"The workflow '{workflow}' has no signing key any more.")
        url = action_callback_url(host, workflow, context.run_id, context.action_key, key)
        try:
            request = subscribe_block(self.kind, raw, url, context.evaluate, context.version)
        except (ExpressionError, PortwayError) as exc:
            return failed("InvalidTemplate", f"The webhook action's subscribe request is "
                          f"not valid: {exc}")
        view: dict[str, Any] = {"subscribe": shown(request)} if self.kind == "httpwebhook" \
            else shown(request)
        subscription_id = fingerprint("action", context.run_id, context.action_key)[:32]
        earlier = await db.run(rows.get, subscription_id)
        if earlier is not None:  # the action runs again after a crash: drop the old one
            await unsubscribe(host, rows, earlier)
        try:  # known before the answer, it is kept with the row: a crash cannot orphan it
            early = unsubscribe_block(self.kind, raw, url, context.evaluate, request, {})
        except (ExpressionError, PortwayError):
            early = None
        await db.run(rows.begin, Subscription(
            id=subscription_id, workflow=workflow, name=context.action_name,
            run_id=context.run_id, action_key=context.action_key,
            version=context.version.version, fingerprint=subscription_id,
            status="Subscribing", response=None), early)
        try:
            answer = await send(host, context.version, request, context.workflow_headers())
        except PortwayError as exc:
            await db.run(rows.remove, subscription_id)
            return error_result(exc, view)
        outputs = outputs_of_answer(answer)
        if answer.status >= 400:
            await db.run(rows.remove, subscription_id)
            return answer_result(outputs, view)
        try:
            undo = early if early is not None else unsubscribe_block(
                self.kind, raw, url, context.evaluate, request, outputs)
        except (ExpressionError, PortwayError) as exc:
            await db.run(rows.remove, subscription_id)
            return failed("InvalidTemplate", f"The webhook action's unsubscribe request is "
                          f"not valid: {exc}", inputs=view)
        if undo is not None and self.kind == "httpwebhook":
            view["unsubscribe"] = shown(undo)
        await db.run(rows.subscribed, subscription_id, outputs, undo)
        timeout = timeout_of(context.action) or host.settings.retention_days * 86400.0
        state = {"subscription": subscription_id, "inputs": view,
                 "deadline": context.now().timestamp() + timeout}
        return await self._wait(context, host, rows, state)

    async def resume(self, context: ActionContext, state: Mapping[str, Any]
                     ) -> ActionResult | Suspend:
        host = host_of(context.services)
        return await self._wait(context, host, WebhookRows(host.services), state)

    async def _wait(self, context: ActionContext, host: RuntimeHost, rows: WebhookRows,
                    state: Mapping[str, Any]) -> ActionResult | Suspend:
        db = host.services.db
        subscription_id = str(state["subscription"])
        view = state.get("inputs")
        came = await db.run(rows.callback, subscription_id)
        now = context.now().timestamp()
        deadline = float(state["deadline"])
        if came is None and now < deadline:
            wake = min(deadline, now + host.settings.webhook_recheck_seconds)
            return Suspend(until=datetime.fromtimestamp(wake, UTC), state=dict(state),
                           inputs=view)
        found = await db.run(rows.get, subscription_id)
        if found is not None:
            await unsubscribe(host, rows, found)
        if came is None:
            return ActionResult("TimedOut", "ActionTimedOut", inputs=view, error={
                "code": "ActionTimedOut",
                "message": f"The webhook action '{context.action_name}' received no "
                           "callback within its timeout."})
        return succeeded(came, inputs=view)


class HttpWebhook(_Webhook):
    type = "HttpWebhook"
    kind = "httpwebhook"
    deferred_inputs = frozenset({"subscribe", "unsubscribe"})

    def check_inputs(self, inputs: Mapping[str, Any], action: Mapping[str, Any], pointer: str,
                     findings: list[Finding]) -> None:
        check_webhook_http(inputs, pointer, findings)


class ApiConnectionWebhook(_Webhook):
    type = "ApiConnectionWebhook"
    kind = "apiconnectionwebhook"
    deferred_inputs = frozenset({"host", "method", "path", "headers", "queries", "body"})

    def check_inputs(self, inputs: Mapping[str, Any], action: Mapping[str, Any], pointer: str,
                     findings: list[Finding]) -> None:
        check_webhook_connection(inputs, pointer, findings)


def check_webhook_http(inputs: Mapping[str, Any], pointer: str, findings: list[Finding]
                       ) -> None:
    """Deploy-time shape of an ``HttpWebhook``'s inputs (trigger or action)."""
    subscribe = require(inputs, "subscribe", pointer, findings, kinds=(dict,))
    if isinstance(subscribe, Mapping) and "uri" not in subscribe and "url" not in subscribe:
        findings.append(Finding(f"{pointer}/inputs/subscribe",
                                "'inputs.subscribe.uri' is required"))
    check_kind(inputs, "unsubscribe", pointer, findings, kinds=(dict,))


def check_webhook_connection(inputs: Mapping[str, Any], pointer: str,
                             findings: list[Finding]) -> None:
    """Deploy-time shape of an ``ApiConnectionWebhook``'s inputs (trigger or action)."""
    host = inputs.get("host")
    if reference_name(host) is None and computed_reference(host) is None:
        findings.append(Finding(f"{pointer}/inputs/host",
                                "'inputs.host.connection' must name a connection reference"))
    require(inputs, "path", pointer, findings, kinds=(str,))
    for key in ("headers", "queries"):
        check_kind(inputs, key, pointer, findings, kinds=(dict,))


def findings_of(kind: str, trigger: Mapping[str, Any], pointer: str) -> Sequence[Finding]:
    """A webhook trigger's deploy-time findings (its inputs' shape)."""
    findings: list[Finding] = []
    inputs = trigger.get("inputs")
    if not isinstance(inputs, Mapping):
        return [Finding(f"{pointer}/inputs", "'inputs' must be an object")]
    if kind == "httpwebhook":
        check_webhook_http(inputs, pointer, findings)
    else:
        check_webhook_connection(inputs, pointer, findings)
    return findings
