"""wechat_message.answering_at: which attempt answers a message (WeChat retries it while the first is
still answering; the retry must not answer, count the chat turn or record the article's use again)

Messages already stored are answered (their reply is set) or were never answered: none is held.

Revision ID: 0034_wechat_answering
Revises: 0033_public_figures
Create Date: 2026-11-27 22:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0034_wechat_answering"
down_revision = "0033_public_figures"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("wechat_message") as batch:
        batch.add_column(sa.Column("answering_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("wechat_message") as batch:
        batch.drop_column("answering_at")
