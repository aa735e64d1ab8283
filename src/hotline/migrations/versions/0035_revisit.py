"""ticket_reviews and tickets.review_conclusion: 回头看 of unsatisfied tickets (审核研判, 再办理)

Revision ID: 0035_revisit
Revises: 0034_wechat_answering
Create Date: 2026-11-27 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hotline.db import UTCDateTime

revision = "0035_revisit"
down_revision = "0034_wechat_answering"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ticket_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("conclusion", sa.String(length=24), nullable=False),
        sa.Column("opinion", sa.Text(), nullable=False),
        sa.Column("reviewed_at", UTCDateTime(), nullable=False),
        sa.Column("reviewer_user_id", sa.Integer(), nullable=True),
        sa.Column("reviewer_name", sa.String(length=100), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_reviews_ticket_id_tickets")),
        sa.ForeignKeyConstraint(["reviewer_user_id"], ["users.id"],
                                name=op.f("fk_ticket_reviews_reviewer_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_reviews")),
    )
    op.create_index(op.f("ix_ticket_reviews_ticket_id"), "ticket_reviews", ["ticket_id"])
    op.create_index(op.f("ix_ticket_reviews_reviewed_at"), "ticket_reviews", ["reviewed_at"])
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("review_conclusion", sa.String(length=24), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("review_conclusion")
    op.drop_index(op.f("ix_ticket_reviews_reviewed_at"), table_name="ticket_reviews")
    op.drop_index(op.f("ix_ticket_reviews_ticket_id"), table_name="ticket_reviews")
    op.drop_table("ticket_reviews")
