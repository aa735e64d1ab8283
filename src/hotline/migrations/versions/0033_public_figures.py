"""published_figures: the monthly figures the centre publishes on the public portal (政务公开)

Revision ID: 0033_public_figures
Revises: 0032_rating_followup
Create Date: 2026-11-27 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hotline.db import UTCDateTime

revision = "0033_public_figures"
down_revision = "0032_rating_followup"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "published_figures",
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("with_units", sa.Boolean(), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=False),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("published_by_name", sa.String(length=100), nullable=False),
        sa.Column("unpublished_at", UTCDateTime(), nullable=True),
        sa.Column("unpublished_by_name", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(["published_by_id"], ["users.id"],
                                name=op.f("fk_published_figures_published_by_id_users")),
        sa.PrimaryKeyConstraint("period", name=op.f("pk_published_figures")),
    )


def downgrade() -> None:
    op.drop_table("published_figures")
