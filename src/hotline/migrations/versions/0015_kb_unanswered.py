"""kb_unanswered: questions the assistant could not answer (知识盲区), counted per wording

Revision ID: 0015_kb_unanswered
Revises: 0014_calendar_days
Create Date: 2026-11-26 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_kb_unanswered"
down_revision = "0014_calendar_days"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kb_unanswered",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=200), nullable=False),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("asked", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("article_key", sa.String(length=100), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by_name", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_unanswered")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_kb_unanswered_fingerprint")),
    )
    op.create_index("ix_kb_unanswered_status_last_at", "kb_unanswered", ["status", "last_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_kb_unanswered_status_last_at", table_name="kb_unanswered")
    op.drop_table("kb_unanswered")
