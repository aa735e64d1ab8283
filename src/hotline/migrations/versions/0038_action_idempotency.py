"""idempotency_keys.response and expires_at: an Idempotency-Key on a ticket action (POST
/api/v1/tickets/{id}/actions/{action}) keeps the action's first answer, to replay to a retry, until it
expires (24 hours: tickets.idempotency.ACTION_KEY_TTL)

Keys already stored are registrations' (the ticket they created is their answer): both columns start
empty, and a registration's key never expires — calls and waiting messages find their ticket by it.

Revision ID: 0038_action_idempotency
Revises: 0037_linkage
Create Date: 2026-11-28 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0038_action_idempotency"
down_revision = "0037_linkage"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.add_column(sa.Column("response", sa.Text(), nullable=True))
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.execute("DELETE FROM idempotency_keys WHERE response IS NOT NULL")
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.drop_column("expires_at")
        batch.drop_column("response")
