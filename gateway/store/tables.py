"""The database schema as SQLAlchemy Core tables.

The migrations under ``migrations/versions`` create exactly these tables; a test checks
that the two agree.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

principals = sa.Table(
    "principals",
    metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),  # user | service | workflow
    sa.Column("created_at", sa.Float, nullable=False),
)

tokens = sa.Table(
    "tokens",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("principal", sa.String(200), sa.ForeignKey("principals.name", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", sa.Float, nullable=False),
)

role_assignments = sa.Table(
    "role_assignments",
    metadata,
    sa.Column("principal", sa.String(200), sa.ForeignKey("principals.name", ondelete="CASCADE"),
              primary_key=True),
    # "*" for a global role, otherwise "<kind>/<name>", e.g. "connections/demo"
    sa.Column("scope", sa.String(300), primary_key=True),
    sa.Column("role", sa.String(20), nullable=False),  # owner | contributor | reader
)

connectors = sa.Table(
    "connectors",
    metadata,
    sa.Column("id", sa.String(200), primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("tier", sa.String(20), nullable=False),
    sa.Column("network", sa.String(20), nullable=False, server_default="core"),
    sa.Column("display_name", sa.String(500), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("current_version", sa.Integer, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)

connector_versions = sa.Table(
    "connector_versions",
    metadata,
    sa.Column("connector_id", sa.String(200),
              sa.ForeignKey("connectors.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("definition", sa.Text, nullable=False),  # the Connector model as JSON
    sa.Column("findings", sa.Text, nullable=False),  # warnings of the import, JSON
    sa.Column("source", sa.String(1000), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)

connections = sa.Table(
    "connections",
    metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("connector_id", sa.String(200), nullable=False, index=True),
    sa.Column("display_name", sa.String(500), nullable=False),
    sa.Column("tags", sa.Text, nullable=False),  # JSON object
    sa.Column("parameters", sa.Text, nullable=False),  # JSON: non-secret values only
    sa.Column("status", sa.String(30), nullable=False),
    sa.Column("status_reason", sa.Text, nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    # JSON list of the upstream origins the secrets were entered for (gateway.origins);
    # NULL for connections stored before bindings existed.
    sa.Column("secrets_origins", sa.Text, nullable=True),
)

secrets = sa.Table(
    "secrets",
    metadata,
    # What owns the secret: ("connection", "demo"), ...; bound into the ciphertext.
    sa.Column("owner_kind", sa.String(40), primary_key=True),
    sa.Column("owner_id", sa.String(200), primary_key=True),
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("key_id", sa.String(40), nullable=False, index=True),
    sa.Column("wrapped_key", sa.LargeBinary, nullable=False),
    sa.Column("ciphertext", sa.LargeBinary, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)

access_policies = sa.Table(
    "access_policies",
    metadata,
    sa.Column("connection", sa.String(200),
              sa.ForeignKey("connections.name", ondelete="CASCADE"), primary_key=True),
    sa.Column("principal", sa.String(200), primary_key=True),
    sa.Column("created_at", sa.Float, nullable=False),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.Float, nullable=False, index=True),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("action", sa.String(100), nullable=False),
    sa.Column("resource", sa.String(400), nullable=False),
    sa.Column("outcome", sa.String(20), nullable=False),  # allowed | denied | failed | ok
    sa.Column("details", sa.Text, nullable=False),  # JSON, never a secret
    sa.Column("request_id", sa.String(100), nullable=False),
)

workflows = sa.Table(
    "workflows",
    metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("principal", sa.String(200), nullable=False),  # the workflow's own identity
    sa.Column("connection_references", sa.Text, nullable=False),  # JSON object
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)

oauth_states = sa.Table(
    "oauth_states",
    metadata,
    sa.Column("state_hash", sa.String(64), primary_key=True),
    sa.Column("connection", sa.String(200), nullable=False),
    sa.Column("principal", sa.String(200), nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
)

rate_counters = sa.Table(
    "rate_counters",
    metadata,
    sa.Column("key", sa.String(300), primary_key=True),
    sa.Column("window", sa.Integer, primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
)

locks = sa.Table(
    "locks",
    metadata,
    # Short leases that serialise work across processes (e.g. one token refresh at a time).
    sa.Column("name", sa.String(300), primary_key=True),
    sa.Column("holder", sa.String(100), nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
)
