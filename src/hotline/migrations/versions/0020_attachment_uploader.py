"""ticket_attachments: who uploaded a file (name and unit), for the ticket's history

Revision ID: 0020_attachment_uploader
Revises: 0019_place_names
Create Date: 2026-11-27 04:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020_attachment_uploader"
down_revision = "0019_place_names"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ticket_attachments") as batch:
        batch.add_column(sa.Column("uploaded_by_name", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("uploaded_by_unit_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_ticket_attachments_uploaded_by_unit_id_units"), "units",
                                 ["uploaded_by_unit_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("ticket_attachments") as batch:
        batch.drop_constraint(op.f("fk_ticket_attachments_uploaded_by_unit_id_units"), type_="foreignkey")
        batch.drop_column("uploaded_by_unit_id")
        batch.drop_column("uploaded_by_name")
