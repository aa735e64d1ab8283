"""kb_text_vectors: sentence embeddings of article texts, for semantic re-ranking

Revision ID: 0017_kb_text_vectors
Revises: 0016_api_token_last_used
Create Date: 2026-11-26 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_kb_text_vectors"
down_revision = "0016_api_token_last_used"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kb_text_vectors",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=64), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest", "model", name=op.f("pk_kb_text_vectors")),
    )


def downgrade() -> None:
    op.drop_table("kb_text_vectors")
