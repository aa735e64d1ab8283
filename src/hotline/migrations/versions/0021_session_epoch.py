"""users.session_epoch: page sessions carry it; logout and a password reset move it on, ending them

Revision ID: 0021_session_epoch
Revises: 0020_attachment_uploader
Create Date: 2026-11-27 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021_session_epoch"
down_revision = "0020_attachment_uploader"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_epoch")
