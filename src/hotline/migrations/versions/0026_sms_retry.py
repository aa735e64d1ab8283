"""sms_outbound: retries of texts the gateway could not send (attempts, last_error, next_attempt_at)
and 重发 by an operator (resend_of_id)

Texts already stored count as not yet attempted (attempts 0) and, when queued, are due at once.

Revision ID: 0026_sms_retry
Revises: 0025_sms
Create Date: 2026-11-27 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026_sms_retry"
down_revision = "0025_sms"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sms_outbound") as batch:
        batch.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("last_error", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("resend_of_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_sms_outbound_resend_of_id_sms_outbound"), "sms_outbound",
                                 ["resend_of_id"], ["id"])
        batch.create_unique_constraint(op.f("uq_sms_outbound_resend_of_id"), ["resend_of_id"])
    # texts reported as attempted before retries existed: one attempt each
    outbound = sa.table("sms_outbound", sa.column("status", sa.String()), sa.column("attempts", sa.Integer()),
                        sa.column("failed_reason", sa.String()), sa.column("last_error", sa.String()))
    conn = op.get_bind()
    conn.execute(sa.update(outbound).where(outbound.c.status != "queued").values(attempts=1))
    conn.execute(sa.update(outbound).where(outbound.c.status == "failed")
                 .values(last_error=outbound.c.failed_reason))


def downgrade() -> None:
    with op.batch_alter_table("sms_outbound") as batch:
        batch.drop_constraint(op.f("uq_sms_outbound_resend_of_id"), type_="unique")
        batch.drop_constraint(op.f("fk_sms_outbound_resend_of_id_sms_outbound"), type_="foreignkey")
        batch.drop_column("resend_of_id")
        batch.drop_column("next_attempt_at")
        batch.drop_column("last_error")
        batch.drop_column("attempts")
