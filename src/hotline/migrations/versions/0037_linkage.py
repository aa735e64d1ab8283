"""ticket_linkages: 联动转办 — a ticket passed out to a linked platform (110/119/120/122, a utility, another
region's 12345) or passed in by one, with the platform as the registry named it then, its own number for the
request, and the answer that came back or was reported back

No ticket was passed before: the table starts empty.

Revision ID: 0037_linkage
Revises: 0036_wechat_resend
Create Date: 2026-11-28 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hotline.db import UTCDateTime

revision = "0037_linkage"
down_revision = "0036_wechat_resend"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ticket_linkages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("line_name", sa.String(length=200), nullable=False),
        sa.Column("line_number", sa.String(length=20), nullable=False),
        sa.Column("line_city", sa.String(length=20), nullable=False),
        sa.Column("external_ref", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("sent_at", UTCDateTime(), nullable=False),
        sa.Column("sent_by_id", sa.Integer(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_at", UTCDateTime(), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("alerted_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_linkages_ticket_id_tickets")),
        sa.ForeignKeyConstraint(["line_id"], ["hotline_lines.id"],
                                name=op.f("fk_ticket_linkages_line_id_hotline_lines")),
        sa.ForeignKeyConstraint(["sent_by_id"], ["users.id"], name=op.f("fk_ticket_linkages_sent_by_id_users")),
        sa.ForeignKeyConstraint(["answered_by_id"], ["users.id"],
                                name=op.f("fk_ticket_linkages_answered_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_linkages")),
    )
    op.create_index(op.f("ix_ticket_linkages_ticket_id"), "ticket_linkages", ["ticket_id"])
    op.create_index(op.f("ix_ticket_linkages_line_id"), "ticket_linkages", ["line_id"])
    op.create_index("ix_ticket_linkages_direction_status_sent_at", "ticket_linkages",
                    ["direction", "status", "sent_at"])


def downgrade() -> None:
    op.drop_index("ix_ticket_linkages_direction_status_sent_at", table_name="ticket_linkages")
    op.drop_index(op.f("ix_ticket_linkages_line_id"), table_name="ticket_linkages")
    op.drop_index(op.f("ix_ticket_linkages_ticket_id"), table_name="ticket_linkages")
    op.drop_table("ticket_linkages")
