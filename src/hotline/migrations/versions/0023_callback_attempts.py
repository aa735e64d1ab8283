"""tickets: unanswered callback attempts (回访未接通) — how many, on how many days, the last one

Revision ID: 0023_callback_attempts
Revises: 0022_call_unregistered_operator
Create Date: 2026-11-27 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023_callback_attempts"
down_revision = "0022_call_unregistered_operator"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("callback_attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("callback_attempt_days", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("callback_attempted_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("callback_attempted_at")
        batch.drop_column("callback_attempt_days")
        batch.drop_column("callback_attempts")
