"""calls.unregistered_operator: operator logins the adapter named that are no hall user (坐席未登记)

Revision ID: 0022_call_unregistered_operator
Revises: 0021_session_epoch
Create Date: 2026-11-27 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022_call_unregistered_operator"
down_revision = "0021_session_epoch"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("unregistered_operator", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("unregistered_operator")
