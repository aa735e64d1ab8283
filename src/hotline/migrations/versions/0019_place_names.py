"""place_names: estates, roads, rivers and landmarks read as names of their jurisdiction (地名库)

Revision ID: 0019_place_names
Revises: 0018_kb_import_jobs
Create Date: 2026-11-26 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_place_names"
down_revision = "0018_kb_import_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "place_names",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("jurisdiction_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("support", sa.Integer(), nullable=True),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["jurisdiction_id"], ["jurisdictions.id"],
                                name=op.f("fk_place_names_jurisdiction_id_jurisdictions")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"], name=op.f("fk_place_names_updated_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_place_names")),
        sa.UniqueConstraint("name", "jurisdiction_id", name=op.f("uq_place_names_name")),
    )
    op.create_index(op.f("ix_place_names_name"), "place_names", ["name"])
    op.create_index(op.f("ix_place_names_jurisdiction_id"), "place_names", ["jurisdiction_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_place_names_jurisdiction_id"), table_name="place_names")
    op.drop_index(op.f("ix_place_names_name"), table_name="place_names")
    op.drop_table("place_names")
