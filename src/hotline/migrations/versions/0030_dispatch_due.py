"""tickets.dispatch_due_at, dispatch_warn_at, dispatch_alerted_at: the time limit of the 待派单 queue (派单时限)

Tickets already waiting for dispatch get their limit from the scheduler's first pass (job dispatch_overdue),
which knows the city's time-limit policy; the migration does not.

Revision ID: 0030_dispatch_due
Revises: 0029_share_push_sealed
Create Date: 2026-11-27 22:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hotline.db import UTCDateTime

revision = "0030_dispatch_due"
down_revision = "0029_share_push_sealed"
branch_labels = None
depends_on = None

COLUMNS = ("dispatch_due_at", "dispatch_warn_at", "dispatch_alerted_at")


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        for name in COLUMNS:
            batch.add_column(sa.Column(name, UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        for name in reversed(COLUMNS):
            batch.drop_column(name)
