"""wechat_outbound.resend_of_id: 重发 by an operator — a failed customer-service message queued once
more as a new message pointing at it; unique, so a failed message is resent at most once

Messages already stored were never resent: the column starts empty.

Revision ID: 0036_wechat_resend
Revises: 0035_revisit
Create Date: 2026-11-27 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0036_wechat_resend"
down_revision = "0035_revisit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("wechat_outbound") as batch:
        batch.add_column(sa.Column("resend_of_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_wechat_outbound_resend_of_id_wechat_outbound"), "wechat_outbound",
                                 ["resend_of_id"], ["id"])
        batch.create_unique_constraint(op.f("uq_wechat_outbound_resend_of_id"), ["resend_of_id"])


def downgrade() -> None:
    with op.batch_alter_table("wechat_outbound") as batch:
        batch.drop_constraint(op.f("uq_wechat_outbound_resend_of_id"), type_="unique")
        batch.drop_constraint(op.f("fk_wechat_outbound_resend_of_id_wechat_outbound"), type_="foreignkey")
        batch.drop_column("resend_of_id")
