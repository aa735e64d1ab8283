"""wechat_message, wechat_outbound: the WeChat official account channel (微信受理)

Revision ID: 0027_wechat
Revises: 0026_sms_retry
Create Date: 2026-11-27 16:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027_wechat"
down_revision = "0026_sms_retry"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "wechat_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("msg_key", sa.String(length=64), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("msg_type", sa.String(length=16), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=True),
        sa.Column("content", sa.String(length=2000), nullable=False),
        sa.Column("sent_at", UTC_TIME, nullable=False),
        sa.Column("received_at", UTC_TIME, nullable=False),
        sa.Column("reply", sa.String(length=2000), nullable=True),
        sa.Column("turn", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("ignore_reason", sa.String(length=16), nullable=True),
        sa.Column("ignore_note", sa.String(length=200), nullable=True),
        sa.Column("handled_by_id", sa.Integer(), nullable=True),
        sa.Column("handled_at", UTC_TIME, nullable=True),
        sa.ForeignKeyConstraint(["handled_by_id"], ["users.id"], name=op.f("fk_wechat_message_handled_by_id_users")),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_wechat_message_ticket_id_tickets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wechat_message")),
        sa.UniqueConstraint("account", "msg_key", name=op.f("uq_wechat_message_account")),
    )
    op.create_index("ix_wechat_message_status_sent_at", "wechat_message", ["status", "sent_at"])
    op.create_index("ix_wechat_message_openid_sent_at", "wechat_message", ["openid", "sent_at"])
    op.create_index(op.f("ix_wechat_message_ticket_id"), "wechat_message", ["ticket_id"])
    op.create_table(
        "wechat_outbound",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("text", sa.String(length=600), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("relay_id", sa.String(length=64), nullable=True),
        sa.Column("sent_at", UTC_TIME, nullable=True),
        sa.Column("failed_reason", sa.String(length=200), nullable=True),
        sa.Column("result_at", UTC_TIME, nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_wechat_outbound_created_by_id_users")),
        sa.ForeignKeyConstraint(["message_id"], ["wechat_message.id"],
                                name=op.f("fk_wechat_outbound_message_id_wechat_message")),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_wechat_outbound_ticket_id_tickets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wechat_outbound")),
    )
    op.create_index("ix_wechat_outbound_status_created_at", "wechat_outbound", ["status", "created_at"])
    op.create_index(op.f("ix_wechat_outbound_ticket_id"), "wechat_outbound", ["ticket_id"])
    op.create_index(op.f("ix_wechat_outbound_message_id"), "wechat_outbound", ["message_id"])


def downgrade() -> None:
    op.drop_table("wechat_outbound")
    op.drop_table("wechat_message")
