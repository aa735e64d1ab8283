"""kb_import_jobs, kb_import_job_rows: batch imports too large for one request, run in the background

Revision ID: 0018_kb_import_jobs
Revises: 0017_kb_text_vectors
Create Date: 2026-11-26 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_kb_import_jobs"
down_revision = "0017_kb_text_vectors"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kb_import_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_kb_import_jobs_user_id_users")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_kb_import_jobs_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_import_jobs")),
    )
    op.create_index("ix_kb_import_jobs_status", "kb_import_jobs", ["status"])
    op.create_index(op.f("ix_kb_import_jobs_user_id"), "kb_import_jobs", ["user_id"])
    op.create_table(
        "kb_import_job_rows",
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("question", sa.String(length=300), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("changes", sa.String(length=200), nullable=True),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("submitted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["kb_import_jobs.id"], ondelete="CASCADE",
                                name=op.f("fk_kb_import_job_rows_job_id_kb_import_jobs")),
        sa.PrimaryKeyConstraint("job_id", "line", name=op.f("pk_kb_import_job_rows")),
    )


def downgrade() -> None:
    op.drop_table("kb_import_job_rows")
    op.drop_index(op.f("ix_kb_import_jobs_user_id"), table_name="kb_import_jobs")
    op.drop_index("ix_kb_import_jobs_status", table_name="kb_import_jobs")
    op.drop_table("kb_import_jobs")
