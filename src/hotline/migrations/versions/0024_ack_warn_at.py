"""tickets.ack_warn_at: when a ticket waiting for its lead unit's acknowledgement turns 即将签收超时

Tickets still waiting for acknowledgement get a warning time from their stored limit: the last quarter
of it, at most 24 hours (the presets' warning window). Tickets dispatched after this migration get
theirs from the policy (tickets.deadlines.warn_at, which also moves a warning before days off).

Revision ID: 0024_ack_warn_at
Revises: 0023_callback_attempts
Create Date: 2026-11-27 07:30:00
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision = "0024_ack_warn_at"
down_revision = "0023_callback_attempts"
branch_labels = None
depends_on = None

WINDOW = timedelta(hours=24)


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("ack_warn_at", sa.DateTime(timezone=True), nullable=True))
    tickets = sa.table("tickets", sa.column("id", sa.Integer()), sa.column("state", sa.String()),
                       sa.column("dispatched_at", sa.DateTime(timezone=True)),
                       sa.column("ack_due_at", sa.DateTime(timezone=True)),
                       sa.column("ack_warn_at", sa.DateTime(timezone=True)))
    conn = op.get_bind()
    rows = conn.execute(sa.select(tickets.c.id, tickets.c.dispatched_at, tickets.c.ack_due_at).where(
        tickets.c.state == "dispatched", tickets.c.ack_due_at.is_not(None), tickets.c.dispatched_at.is_not(None)
    )).all()
    for tid, start, due in rows:
        warn = due - min(WINDOW, max(due - start, timedelta(0)) / 4)
        conn.execute(sa.update(tickets).where(tickets.c.id == tid).values(ack_warn_at=warn))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("ack_warn_at")
