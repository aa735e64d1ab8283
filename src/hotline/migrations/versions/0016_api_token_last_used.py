"""api_tokens.last_used_at: when a token last called the API, kept to the hour

Revision ID: 0016_api_token_last_used
Revises: 0015_kb_unanswered
Create Date: 2026-11-26 00:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_api_token_last_used"
down_revision = "0015_kb_unanswered"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.add_column(sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.drop_column("last_used_at")
