"""A run keeps its deadline: its start plus the run duration limit in force then

Revision ID: r0006
Revises: r0005
Create Date: 2026-12-04

Runs stored before have none (NULL): they keep the limit in force now.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0006"
down_revision = "r0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runtime_runs") as table:
        table.add_column(sa.Column("deadline", sa.Float, nullable=True))
    op.create_index("ix_runtime_runs_deadline", "runtime_runs", ["deadline"])


def downgrade() -> None:
    op.drop_index("ix_runtime_runs_deadline", "runtime_runs")
    with op.batch_alter_table("runtime_runs") as table:
        table.drop_column("deadline")
