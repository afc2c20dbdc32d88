"""A waiting run keeps its client tracking id and its trigger's inputs

Revision ID: r0005
Revises: r0004
Create Date: 2026-12-04
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0005"
down_revision = "r0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runtime_trigger_fires") as table:
        table.add_column(sa.Column("client_tracking_id", sa.String(200), nullable=True))
        table.add_column(sa.Column("inputs", sa.Text, nullable=True))
    op.create_index("ix_runtime_trigger_fires_workflow", "runtime_trigger_fires",
                    ["workflow", "fired_at"])


def downgrade() -> None:
    op.drop_index("ix_runtime_trigger_fires_workflow", "runtime_trigger_fires")
    with op.batch_alter_table("runtime_trigger_fires") as table:
        table.drop_column("inputs")
        table.drop_column("client_tracking_id")
