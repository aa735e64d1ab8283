"""assessment: per-unit-per-day facts, their high-water mark, exemptions

Revision ID: 0007_assessment
Revises: 0002
Create Date: 2026-11-25 18:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_assessment"
# The knowledge migration (file 0002_knowledge.py) has the revision id "0002".
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assessment_facts",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("indicator", sa.String(length=24), nullable=False),
        sa.Column("num", sa.Integer(), nullable=False),
        sa.Column("den", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("unit_id", "day", "indicator", name=op.f("pk_assessment_facts")),
    )
    state = op.create_table(
        "assessment_state",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("last_event_id", sa.Integer(), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_assessment_state")),
    )
    op.bulk_insert(state, [{"name": "facts", "last_event_id": 0, "refreshed_at": None}])
    op.create_table(
        "assessment_exemptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("indicators", sa.JSON(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("requested_by_name", sa.String(length=100), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_by_name", sa.String(length=100), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"],
                                name=op.f("fk_assessment_exemptions_decided_by_id_users")),
        sa.ForeignKeyConstraint(["requested_by_id"], ["users.id"],
                                name=op.f("fk_assessment_exemptions_requested_by_id_users")),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_assessment_exemptions_ticket_id_tickets")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_assessment_exemptions_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_exemptions")),
    )
    with op.batch_alter_table("assessment_exemptions", schema=None) as batch_op:
        batch_op.create_index("ix_assessment_exemptions_status_id", ["status", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assessment_exemptions_ticket_id"), ["ticket_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assessment_exemptions_unit_id"), ["unit_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("assessment_exemptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_exemptions_unit_id"))
        batch_op.drop_index(batch_op.f("ix_assessment_exemptions_ticket_id"))
        batch_op.drop_index("ix_assessment_exemptions_status_id")
    op.drop_table("assessment_exemptions")
    op.drop_table("assessment_state")
    op.drop_table("assessment_facts")
