"""dispatch catalogue: rules mapping (category, place, kind) to lead and assisting units

Revision ID: 0010_dispatch_catalogue
Revises: 0002
Create Date: 2026-11-25 18:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_dispatch_catalogue"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dispatch_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_key", sa.String(length=64), nullable=False),
        sa.Column("category_prefix", sa.String(length=16), nullable=True),
        sa.Column("jurisdiction_id", sa.Integer(), nullable=True),
        sa.Column("jurisdiction_path", sa.String(length=255), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=True),
        sa.Column("lead_unit_id", sa.Integer(), nullable=False),
        sa.Column("assisting_unit_ids", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["jurisdiction_id"], ["jurisdictions.id"],
                                name=op.f("fk_dispatch_rules_jurisdiction_id_jurisdictions")),
        sa.ForeignKeyConstraint(["lead_unit_id"], ["units.id"], name=op.f("fk_dispatch_rules_lead_unit_id_units")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"], name=op.f("fk_dispatch_rules_updated_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatch_rules")),
        sa.UniqueConstraint("rule_key", name=op.f("uq_dispatch_rules_rule_key")),
    )
    with op.batch_alter_table("dispatch_rules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dispatch_rules_lead_unit_id"), ["lead_unit_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("dispatch_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dispatch_rules_lead_unit_id"))
    op.drop_table("dispatch_rules")
