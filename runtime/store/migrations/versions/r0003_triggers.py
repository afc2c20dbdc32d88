"""Trigger state and fired runs

Revision ID: r0003
Revises: r0002
Create Date: 2026-12-03
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0003"
down_revision = "r0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runtime_trigger_states",
        sa.Column("workflow", sa.String(200), nullable=False),
        sa.Column("trigger", sa.String(200), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("next_due", sa.Float, nullable=True),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("workflow", "trigger"),
    )
    op.create_index("ix_runtime_trigger_states_due", "runtime_trigger_states", ["next_due"])
    op.create_table(
        "runtime_trigger_fires",
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("workflow", sa.String(200), nullable=False),
        sa.Column("trigger", sa.String(200), nullable=False),
        sa.Column("outputs", sa.Text, nullable=False),
        sa.Column("fired_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("runtime_trigger_fires")
    op.drop_index("ix_runtime_trigger_states_due", "runtime_trigger_states")
    op.drop_table("runtime_trigger_states")
