"""calendar_days: a year's official holiday arrangement entered before the calendar package knows it

Revision ID: 0014_calendar_days
Revises: 0013_exemption_revoke_daily_jobs
Create Date: 2026-11-25 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_calendar_days"
down_revision = "0013_exemption_revoke_daily_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("is_workday", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        sa.Column("entered_by_name", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["entered_by_id"], ["users.id"], name=op.f("fk_calendar_days_entered_by_id_users")),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_calendar_days")),
    )
    op.create_index(op.f("ix_calendar_days_year"), "calendar_days", ["year"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_calendar_days_year"), table_name="calendar_days")
    op.drop_table("calendar_days")
