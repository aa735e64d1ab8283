"""sms_inbound, sms_outbound: the SMS channel (短信受理) — texts from the gateway and texts for it to send

Revision ID: 0025_sms
Revises: 0024_ack_warn_at
Create Date: 2026-11-27 13:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025_sms"
down_revision = "0024_ack_warn_at"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sms_inbound",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("gateway_id", sa.String(length=64), nullable=False),
        sa.Column("sender", sa.String(length=20), nullable=False),
        sa.Column("text", sa.String(length=1000), nullable=False),
        sa.Column("received_at", UTC_TIME, nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("ignore_reason", sa.String(length=16), nullable=True),
        sa.Column("ignore_note", sa.String(length=200), nullable=True),
        sa.Column("handled_by_id", sa.Integer(), nullable=True),
        sa.Column("handled_at", UTC_TIME, nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["users.id"], name=op.f("fk_sms_inbound_account_id_users")),
        sa.ForeignKeyConstraint(["handled_by_id"], ["users.id"], name=op.f("fk_sms_inbound_handled_by_id_users")),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_sms_inbound_ticket_id_tickets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_inbound")),
        sa.UniqueConstraint("account_id", "gateway_id", name=op.f("uq_sms_inbound_account_id")),
    )
    op.create_index("ix_sms_inbound_status_received_at", "sms_inbound", ["status", "received_at"])
    op.create_index("ix_sms_inbound_sender_received_at", "sms_inbound", ["sender", "received_at"])
    op.create_index(op.f("ix_sms_inbound_ticket_id"), "sms_inbound", ["ticket_id"])
    op.create_table(
        "sms_outbound",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("inbound_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("gateway_id", sa.String(length=64), nullable=True),
        sa.Column("sent_at", UTC_TIME, nullable=True),
        sa.Column("failed_reason", sa.String(length=200), nullable=True),
        sa.Column("result_at", UTC_TIME, nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_sms_outbound_created_by_id_users")),
        sa.ForeignKeyConstraint(["inbound_id"], ["sms_inbound.id"], name=op.f("fk_sms_outbound_inbound_id_sms_inbound")),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_sms_outbound_ticket_id_tickets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_outbound")),
    )
    op.create_index("ix_sms_outbound_status_created_at", "sms_outbound", ["status", "created_at"])
    op.create_index("ix_sms_outbound_phone_created_at", "sms_outbound", ["phone", "created_at"])
    op.create_index(op.f("ix_sms_outbound_ticket_id"), "sms_outbound", ["ticket_id"])
    op.create_index(op.f("ix_sms_outbound_inbound_id"), "sms_outbound", ["inbound_id"])


def downgrade() -> None:
    op.drop_table("sms_outbound")
    op.drop_table("sms_inbound")
