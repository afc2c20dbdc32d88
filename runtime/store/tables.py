"""The runtime's tables (SQLAlchemy Core), migrated by Alembic with the gateway's.

The revisions live in ``runtime/store/migrations/versions`` on the branch ``runtime``
(``portway db upgrade`` and every start apply them after the gateway's). Secrets —
secure workflow parameters, app settings, built-in connection secrets — are not here:
they are sealed in the gateway's vault.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

# -- workflows: definitions and their versions (revision r0001) -------------------------

workflows = sa.Table(
    "runtime_workflows",
    metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("version", sa.String(64), nullable=False),  # the current version's id
    sa.Column("enabled", sa.Boolean, nullable=False),
    # Enabled | Disabled | Error (a failed webhook subscription, say), and why.
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("state_message", sa.Text, nullable=False, server_default=""),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)

workflow_versions = sa.Table(
    "runtime_workflow_versions",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("workflow", sa.String(200), nullable=False, index=True),
    sa.Column("kind", sa.String(20), nullable=False),  # Stateful | Stateless
    sa.Column("definition", sa.Text, nullable=False),  # JSON
    # JSON {name: {"type", "value"}}; secure values are in the vault, not here.
    sa.Column("parameters", sa.Text, nullable=False),
    # JSON {"references": {ref: connection}, "serviceProviders": {...}} without secrets.
    sa.Column("connections", sa.Text, nullable=False),
    # SHA-256 of everything deployed: a deploy that changes nothing keeps the version.
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)

# -- runs and their checkpoints (revision r0002) ----------------------------------------

runs = sa.Table(
    "runtime_runs",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("workflow", sa.String(200), nullable=False),
    sa.Column("version", sa.String(64), nullable=False),
    # Running | Waiting | Succeeded | Failed | Cancelled
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("start_time", sa.String(40), nullable=False),
    sa.Column("end_time", sa.String(40), nullable=True),
    sa.Column("client_tracking_id", sa.String(200), nullable=False),
    sa.Column("trigger", sa.Text, nullable=False),  # JSON: the trigger's record
    sa.Column("error", sa.Text, nullable=True),  # JSON {"code", "message"}
    sa.Column("outputs", sa.Text, nullable=True),  # JSON: the definition's outputs
    sa.Column("response", sa.Text, nullable=True),  # JSON: the Response action's answer
    sa.Column("variables", sa.Text, nullable=True),  # JSON: the run's variables
    sa.Column("created_at", sa.Float, nullable=False),
    # Leases: who runs it now, until when, and the fencing token every write carries.
    sa.Column("lease_owner", sa.String(100), nullable=True),
    sa.Column("lease_expires", sa.Float, nullable=True),
    sa.Column("fence", sa.Integer, nullable=False, server_default="0"),
    sa.Column("wake_at", sa.Float, nullable=True),  # a durable timer (Wait, polling)
    # Its start plus the run duration limit in force then (NULL: stored before runs kept
    # one; the limit in force now applies).
    sa.Column("deadline", sa.Float, nullable=True),
    sa.Index("ix_runtime_runs_workflow_created", "workflow", "created_at"),
    sa.Index("ix_runtime_runs_status_lease", "status", "lease_expires"),
    sa.Index("ix_runtime_runs_deadline", "deadline"),
)

action_results = sa.Table(
    "runtime_action_results",
    metadata,
    sa.Column("run_id", sa.String(64), nullable=False),
    # Unique within the run: the action's name plus its loop iteration indexes.
    sa.Column("key", sa.String(500), nullable=False),
    sa.Column("action", sa.String(200), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),  # checkpoint order
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("record", sa.Text, nullable=False),  # JSON: the action's run-record entry
    sa.Column("state", sa.Text, nullable=True),  # JSON: a suspended handler's state
    sa.PrimaryKeyConstraint("run_id", "key"),
)

# The runtime lease: on SQLite one process at a time runs the runs.
engine_leases = sa.Table(
    "runtime_engine_leases",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("holder", sa.String(100), nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
)

# -- triggers: when each is due, and the runs it fired (revision r0003) -----------------

trigger_states = sa.Table(
    "runtime_trigger_states",
    metadata,
    sa.Column("workflow", sa.String(200), nullable=False),
    sa.Column("trigger", sa.String(200), nullable=False),
    # SHA-256 of the trigger's definition: a deploy that changes it starts it afresh.
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("next_due", sa.Float, nullable=True),  # epoch seconds; NULL: never again
    # JSON: the anchor, the last window's end, a poll's Location and watermarks.
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.PrimaryKeyConstraint("workflow", "trigger"),
    sa.Index("ix_runtime_trigger_states_due", "next_due"),
)

# Fired, not yet started: written in the transaction that advances the trigger's state,
# started (idempotently, by id) and deleted after. The id is the run's.
trigger_fires = sa.Table(
    "runtime_trigger_fires",
    metadata,
    sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("workflow", sa.String(200), nullable=False),
    sa.Column("trigger", sa.String(200), nullable=False),
    sa.Column("outputs", sa.Text, nullable=False),  # JSON: the trigger's outputs
    sa.Column("fired_at", sa.Float, nullable=False),
    # A Request call's x-ms-client-tracking-id, and the trigger's inputs (JSON) (r0005).
    sa.Column("client_tracking_id", sa.String(200), nullable=True),
    sa.Column("inputs", sa.Text, nullable=True),
    sa.Index("ix_runtime_trigger_fires_workflow", "workflow", "fired_at"),
)

# -- webhook subscriptions and their callbacks (revision r0004) ------------------------

# One row per live subscription: a webhook trigger's (run_id NULL) while its workflow is
# enabled, or a webhook action's while its run waits. The evaluated unsubscribe request
# may hold credentials: it is sealed in the vault (owner ``runtime.webhook``, this id).
webhook_subscriptions = sa.Table(
    "runtime_webhook_subscriptions",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("workflow", sa.String(200), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),  # the trigger's or action's name
    sa.Column("run_id", sa.String(64), nullable=True),  # an action's run
    sa.Column("action_key", sa.String(500), nullable=True),  # with loop indexes
    sa.Column("version", sa.String(64), nullable=False),
    # SHA-256 of what was subscribed (version, trigger, callback URL): a change of any
    # of them unsubscribes and subscribes again.
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # Subscribing | Subscribed
    sa.Column("response", sa.Text, nullable=True),  # JSON: the subscribe call's answer
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Index("ix_runtime_webhook_subscriptions_workflow", "workflow", "name"),
    sa.Index("ix_runtime_webhook_subscriptions_run", "run_id", "action_key"),
)

# The callback a waiting webhook action received (one per subscription: the first wins).
webhook_callbacks = sa.Table(
    "runtime_webhook_callbacks",
    metadata,
    sa.Column("subscription", sa.String(64), primary_key=True),
    sa.Column("outputs", sa.Text, nullable=False),  # JSON {"headers", "body"}
    sa.Column("received_at", sa.Float, nullable=False),
)
