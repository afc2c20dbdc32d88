"""Webhook subscriptions and callbacks

Revision ID: r0004
Revises: r0003
Create Date: 2026-12-04
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0004"
down_revision = "r0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runtime_webhook_subscriptions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("workflow", sa.String(200), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("run_id", sa.String(64), nullable=True),
        sa.Column("action_key", sa.String(500), nullable=True),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("response", sa.Text, nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_runtime_webhook_subscriptions_workflow",
                    "runtime_webhook_subscriptions", ["workflow", "name"])
    op.create_index("ix_runtime_webhook_subscriptions_run",
                    "runtime_webhook_subscriptions", ["run_id", "action_key"])
    op.create_table(
        "runtime_webhook_callbacks",
        sa.Column("subscription", sa.String(64), primary_key=True),
        sa.Column("outputs", sa.Text, nullable=False),
        sa.Column("received_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("runtime_webhook_callbacks")
    op.drop_index("ix_runtime_webhook_subscriptions_run", "runtime_webhook_subscriptions")
    op.drop_index("ix_runtime_webhook_subscriptions_workflow", "runtime_webhook_subscriptions")
    op.drop_table("runtime_webhook_subscriptions")
