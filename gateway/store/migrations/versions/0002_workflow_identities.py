"""Workflows keep only their identity in the gateway; the runtime owns definitions

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""
from __future__ import annotations

from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('workflows', schema=None) as batch_op:
        batch_op.drop_column('definition')
        batch_op.drop_column('enabled')


def downgrade() -> None:
    import sqlalchemy as sa

    with op.batch_alter_table('workflows', schema=None) as batch_op:
        batch_op.add_column(sa.Column('definition', sa.Text(), nullable=False,
                                      server_default='{}'))
        batch_op.add_column(sa.Column('enabled', sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
