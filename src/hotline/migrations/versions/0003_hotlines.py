"""hotline registry: lines (consolidation mode, status, seats, transition prompt, approval) and their history

Revision ID: 0003_hotlines
Revises: 0002 (0002_knowledge)
Create Date: 2026-11-25 18:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_hotlines"
# The knowledge migration's revision id is "0002" (file 0002_knowledge.py).
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hotline_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("city", sa.String(length=20), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("merge_mode", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("seat_arrangement", sa.String(length=16), nullable=False),
        sa.Column("service", sa.String(length=16), nullable=True),
        sa.Column("owner_unit_id", sa.Integer(), nullable=True),
        sa.Column("owner_name", sa.String(length=100), nullable=True),
        sa.Column("jurisdiction_id", sa.Integer(), nullable=True),
        sa.Column("transition_prompt", sa.Text(), nullable=True),
        sa.Column("transition_start", sa.Date(), nullable=True),
        sa.Column("transition_end", sa.Date(), nullable=True),
        sa.Column("approval_document", sa.String(length=100), nullable=True),
        sa.Column("approval_by", sa.String(length=64), nullable=True),
        sa.Column("approval_recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approval_recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["approval_recorded_by_id"], ["users.id"],
                                name=op.f("fk_hotline_lines_approval_recorded_by_id_users")),
        sa.ForeignKeyConstraint(["jurisdiction_id"], ["jurisdictions.id"],
                                name=op.f("fk_hotline_lines_jurisdiction_id_jurisdictions")),
        sa.ForeignKeyConstraint(["owner_unit_id"], ["units.id"], name=op.f("fk_hotline_lines_owner_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hotline_lines")),
        sa.UniqueConstraint("city", "number", name=op.f("uq_hotline_lines_city")),
    )
    with op.batch_alter_table("hotline_lines", schema=None) as batch_op:
        batch_op.create_index("ix_hotline_lines_city_kind", ["city", "kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_hotline_lines_number"), ["number"], unique=False)
        batch_op.create_index(batch_op.f("ix_hotline_lines_owner_unit_id"), ["owner_unit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_hotline_lines_status"), ["status"], unique=False)

    op.create_table(
        "hotline_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("field", sa.String(length=16), nullable=False),
        sa.Column("from_value", sa.String(length=500), nullable=True),
        sa.Column("to_value", sa.String(length=500), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.Column("actor_role", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_hotline_changes_actor_id_users")),
        sa.ForeignKeyConstraint(["line_id"], ["hotline_lines.id"], name=op.f("fk_hotline_changes_line_id_hotline_lines")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hotline_changes")),
    )
    with op.batch_alter_table("hotline_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hotline_changes_line_id"), ["line_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("hotline_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hotline_changes_line_id"))
    op.drop_table("hotline_changes")
    with op.batch_alter_table("hotline_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hotline_lines_status"))
        batch_op.drop_index(batch_op.f("ix_hotline_lines_owner_unit_id"))
        batch_op.drop_index(batch_op.f("ix_hotline_lines_number"))
        batch_op.drop_index("ix_hotline_lines_city_kind")
    op.drop_table("hotline_lines")
