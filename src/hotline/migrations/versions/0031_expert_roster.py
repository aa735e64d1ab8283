"""hotline_experts: the expert seats' rota (专家座席值班) per registry line

Revision ID: 0031_expert_roster
Revises: 0030_dispatch_due
Create Date: 2026-11-27 22:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0031_expert_roster"
down_revision = "0030_dispatch_due"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "hotline_experts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("department", sa.String(length=100), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("duty", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(["line_id"], ["hotline_lines.id"], name=op.f("fk_hotline_experts_line_id_hotline_lines")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hotline_experts")),
    )
    op.create_index(op.f("ix_hotline_experts_line_id"), "hotline_experts", ["line_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_hotline_experts_line_id"), table_name="hotline_experts")
    op.drop_table("hotline_experts")
