"""rating_followups (核实 of a 差评, ratings/models.py); an index on tickets.public_rating

Revision ID: 0032_rating_followup
Revises: 0031_expert_roster
Create Date: 2026-11-27 21:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0032_rating_followup"
down_revision = "0031_expert_roster"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "rating_followups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("conclusion", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("by_user_id", sa.Integer(), nullable=True),
        sa.Column("by_name", sa.String(length=100), nullable=False),
        sa.Column("at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_rating_followups_ticket_id_tickets")),
        sa.ForeignKeyConstraint(["by_user_id"], ["users.id"], name=op.f("fk_rating_followups_by_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rating_followups")),
    )
    op.create_index(op.f("ix_rating_followups_ticket_id"), "rating_followups", ["ticket_id"])
    op.create_index(op.f("ix_tickets_public_rating"), "tickets", ["public_rating"])


def downgrade() -> None:
    op.drop_index(op.f("ix_tickets_public_rating"), table_name="tickets")
    op.drop_index(op.f("ix_rating_followups_ticket_id"), table_name="rating_followups")
    op.drop_table("rating_followups")
