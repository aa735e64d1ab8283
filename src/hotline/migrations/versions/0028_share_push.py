"""share_push_subscriptions, share_push_deliveries: 信息共享 push delivery (订阅推送)

Revision ID: 0028_share_push
Revises: 0027_wechat
Create Date: 2026-11-27 18:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028_share_push"
down_revision = "0027_wechat"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "share_push_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("cursor", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC_TIME, nullable=True),
        sa.Column("lease_until", UTC_TIME, nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("failing_since", UTC_TIME, nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("last_success_at", UTC_TIME, nullable=True),
        sa.Column("last_attempt_at", UTC_TIME, nullable=True),
        sa.Column("delivered_events", sa.Integer(), nullable=False),
        sa.Column("deliveries_ok", sa.Integer(), nullable=False),
        sa.Column("deliveries_failed", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["users.id"],
                                name=op.f("fk_share_push_subscriptions_account_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_push_subscriptions")),
        sa.UniqueConstraint("account_id", name=op.f("uq_share_push_subscriptions_account_id")),
    )
    op.create_index("ix_share_push_subscriptions_status_next_attempt_at", "share_push_subscriptions",
                    ["status", "next_attempt_at"])
    op.create_table(
        "share_push_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("at", UTC_TIME, nullable=False),
        sa.Column("after", sa.Integer(), nullable=False),
        sa.Column("first_event_id", sa.Integer(), nullable=True),
        sa.Column("last_event_id", sa.Integer(), nullable=True),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["subscription_id"], ["share_push_subscriptions.id"],
                                name=op.f("fk_share_push_deliveries_subscription_id_share_push_subscriptions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_push_deliveries")),
        sa.UniqueConstraint("delivery_id", name=op.f("uq_share_push_deliveries_delivery_id")),
    )
    op.create_index("ix_share_push_deliveries_subscription_id_id", "share_push_deliveries",
                    ["subscription_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_share_push_deliveries_subscription_id_id", table_name="share_push_deliveries")
    op.drop_table("share_push_deliveries")
    op.drop_index("ix_share_push_subscriptions_status_next_attempt_at", table_name="share_push_subscriptions")
    op.drop_table("share_push_subscriptions")
