"""assessment exemptions can be revoked (who, when, why kept on the row); the scheduler's once-a-day
jobs (the blacklist proposal) keyed by job and local day

Revision ID: 0013_exemption_revoke_daily_jobs
Revises: 0012_merge_branches
Create Date: 2026-11-25 21:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_exemption_revoke_daily_jobs"
down_revision = "0012_merge_branches"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("assessment_exemptions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revoked_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("revoked_by_name", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("revoke_reason", sa.Text(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_assessment_exemptions_revoked_by_id_users"), "users",
                                    ["revoked_by_id"], ["id"])
    op.create_table(
        "supervision_daily_jobs",
        sa.Column("job", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("ran_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("worker", sa.String(length=100), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("job", "day", name=op.f("pk_supervision_daily_jobs")),
    )


def downgrade() -> None:
    op.drop_table("supervision_daily_jobs")
    with op.batch_alter_table("assessment_exemptions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_assessment_exemptions_revoked_by_id_users"), type_="foreignkey")
        batch_op.drop_column("revoke_reason")
        batch_op.drop_column("revoked_at")
        batch_op.drop_column("revoked_by_name")
        batch_op.drop_column("revoked_by_id")
