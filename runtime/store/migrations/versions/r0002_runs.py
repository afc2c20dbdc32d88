"""The runtime's runs and their checkpoints

Revision ID: r0002
Revises: r0001
Create Date: 2026-12-03
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0002"
down_revision = "r0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runtime_runs",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("workflow", sa.String(200), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("start_time", sa.String(40), nullable=False),
        sa.Column("end_time", sa.String(40), nullable=True),
        sa.Column("client_tracking_id", sa.String(200), nullable=False),
        sa.Column("trigger", sa.Text, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("outputs", sa.Text, nullable=True),
        sa.Column("response", sa.Text, nullable=True),
        sa.Column("variables", sa.Text, nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("lease_owner", sa.String(100), nullable=True),
        sa.Column("lease_expires", sa.Float, nullable=True),
        sa.Column("fence", sa.Integer, nullable=False, server_default="0"),
        sa.Column("wake_at", sa.Float, nullable=True),
    )
    op.create_index("ix_runtime_runs_workflow_created", "runtime_runs",
                    ["workflow", "created_at"])
    op.create_index("ix_runtime_runs_status_lease", "runtime_runs",
                    ["status", "lease_expires"])
    op.create_table(
        "runtime_action_results",
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("key", sa.String(500), nullable=False),
        sa.Column("action", sa.String(200), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("record", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("run_id", "key"),
    )
    op.create_table(
        "runtime_engine_leases",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("holder", sa.String(100), nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("runtime_engine_leases")
    op.drop_table("runtime_action_results")
    op.drop_table("runtime_runs")
