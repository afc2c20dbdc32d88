"""Webhook subscriptions and the callbacks they received, kept durably.

A row is written (``Subscribing``) before the subscribe call goes out and marked
``Subscribed`` with the subscriber's answer after, so a crash in between leaves a trace
the next round cleans up (sending its unsubscribe when that could be made before the
answer). The evaluated unsubscribe request — it may carry credentials —
is sealed in the gateway's vault under the row's id, never in the table. A waiting
webhook action's callback is stored once (the first wins), in the transaction that checks
its subscription is still live: a callback for an action that stopped waiting stores
nothing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from gateway import Services
from runtime.store.tables import runs, webhook_callbacks, webhook_subscriptions, workflows

__all__ = ["VAULT_OWNER", "Subscription", "WebhookRows"]

VAULT_OWNER = "runtime.webhook"
_UNSUBSCRIBE = "unsubscribe"


@dataclass(frozen=True)
class Subscription:
    id: str
    workflow: str
    name: str
    run_id: str | None
    action_key: str | None
    version: str
    fingerprint: str
    status: str
    response: dict[str, Any] | None


def _subscription(row: Any) -> Subscription:
    return Subscription(row.id, row.workflow, row.name, row.run_id, row.action_key,
                        row.version, row.fingerprint, row.status,
                        json.loads(row.response) if row.response else None)


class WebhookRows:
    """The two tables and the sealed unsubscribe requests (sync: call through
    ``services.db.run``)."""

    def __init__(self, services: Services) -> None:
        self.db = services.db
        self.vault = services.vault

    # -- subscriptions ------------------------------------------------------------------

    def begin(self, subscription: Subscription,
              unsubscribe: Mapping[str, Any] | None = None) -> None:
        """Record a subscribe call about to go out (replacing an earlier row of that id),
        with the unsubscribe request if it can be made before the answer (one that names
        only the callback URL, say): a crash during the call leaves a row that can still
        be unsubscribed, so the next round ends the orphan before it subscribes again."""
        with self.db.write() as conn:
            conn.execute(webhook_subscriptions.delete().where(
                webhook_subscriptions.c.id == subscription.id))
            conn.execute(webhook_callbacks.delete().where(
                webhook_callbacks.c.subscription == subscription.id))
            self.vault.delete_owner(conn, VAULT_OWNER, subscription.id)
            conn.execute(webhook_subscriptions.insert().values(
                id=subscription.id, workflow=subscription.workflow, name=subscription.name,
                run_id=subscription.run_id, action_key=subscription.action_key,
                version=subscription.version, fingerprint=subscription.fingerprint,
                status="Subscribing", response=None, created_at=time.time()))
            if unsubscribe is not None:
                self.vault.put_many(conn, VAULT_OWNER, subscription.id,
                                    {_UNSUBSCRIBE: json.dumps(dict(unsubscribe))})

    def subscribed(self, subscription_id: str, response: Mapping[str, Any],
                   unsubscribe: Mapping[str, Any] | None) -> None:
        with self.db.write() as conn:
            conn.execute(webhook_subscriptions.update().where(
                webhook_subscriptions.c.id == subscription_id).values(
                status="Subscribed", response=json.dumps(dict(response))))
            if unsubscribe is not None:
                self.vault.put_many(conn, VAULT_OWNER, subscription_id,
                                    {_UNSUBSCRIBE: json.dumps(dict(unsubscribe))})

    def remove(self, subscription_id: str) -> None:
        with self.db.write() as conn:
            conn.execute(webhook_subscriptions.delete().where(
                webhook_subscriptions.c.id == subscription_id))
            conn.execute(webhook_callbacks.delete().where(
                webhook_callbacks.c.subscription == subscription_id))
            self.vault.delete_owner(conn, VAULT_OWNER, subscription_id)

    def get(self, subscription_id: str) -> Subscription | None:
        with self.db.engine.connect() as conn:
            row = conn.execute(sa.select(webhook_subscriptions).where(
                webhook_subscriptions.c.id == subscription_id)).first()
        return _subscription(row) if row is not None else None

    def unsubscribe_request(self, subscription_id: str) -> dict[str, Any] | None:
        sealed = self.vault.get(VAULT_OWNER, subscription_id, _UNSUBSCRIBE)
        found: dict[str, Any] | None = json.loads(sealed) if sealed else None
        return found

    def triggers(self) -> list[Subscription]:
        """Every webhook trigger's subscription row."""
        with self.db.engine.connect() as conn:
            rows = conn.execute(sa.select(webhook_subscriptions).where(
                webhook_subscriptions.c.run_id.is_(None))).all()
        return [_subscription(row) for row in rows]

    def of_ended_runs(self, limit: int = 200) -> list[Subscription]:
        """Webhook actions' subscriptions whose run is no longer running or waiting
        (cancelled, say): they are unsubscribed."""
        query = (sa.select(webhook_subscriptions)
                 .outerjoin(runs, runs.c.id == webhook_subscriptions.c.run_id)
                 .where(webhook_subscriptions.c.run_id.is_not(None),
                        sa.or_(runs.c.id.is_(None),
                               runs.c.status.notin_(("Running", "Waiting"))))
                 .limit(limit))
        with self.db.engine.connect() as conn:
            return [_subscription(row) for row in conn.execute(query).all()]

    def action(self, run_id: str, action_key: str) -> Subscription | None:
        """The live subscription of one waiting webhook action."""
        with self.db.engine.connect() as conn:
            row = conn.execute(sa.select(webhook_subscriptions).where(
                webhook_subscriptions.c.run_id == run_id,
                webhook_subscriptions.c.action_key == action_key)).first()
        return _subscription(row) if row is not None else None

    # -- callbacks ----------------------------------------------------------------------

    def record_callback(self, run_id: str, action_key: str, outputs: Mapping[str, Any]
                        ) -> str:
        """Store a waiting action's callback.

        Returns:
            ``stored``, ``duplicate`` (a callback was stored before: the first wins) or
            ``gone`` (no live subscription: the action stopped waiting or never did).
        """
        with self.db.write() as conn:
            found = conn.execute(sa.select(webhook_subscriptions.c.id).where(
                webhook_subscriptions.c.run_id == run_id,
                webhook_subscriptions.c.action_key == action_key)).scalar()
            if found is None:
                return "gone"
            taken = conn.execute(sa.select(webhook_callbacks.c.subscription).where(
                webhook_callbacks.c.subscription == found)).scalar()
            if taken is not None:
                return "duplicate"
            conn.execute(webhook_callbacks.insert().values(
                subscription=found, outputs=json.dumps(dict(outputs)),
                received_at=time.time()))
        return "stored"

    def callback(self, subscription_id: str) -> dict[str, Any] | None:
        with self.db.engine.connect() as conn:
            text = conn.execute(sa.select(webhook_callbacks.c.outputs).where(
                webhook_callbacks.c.subscription == subscription_id)).scalar()
        found: dict[str, Any] | None = json.loads(text) if text else None
        return found

    # -- the workflow's state -----------------------------------------------------------

    def set_error(self, workflow: str, message: str) -> None:
        """A failed subscription: the workflow shows ``Error`` and why until it is
        enabled (or deployed) again."""
        with self.db.write() as conn:
            conn.execute(workflows.update().where(
                workflows.c.name == workflow, workflows.c.enabled.is_(True)).values(
                state="Error", state_message=message[:2000]))
