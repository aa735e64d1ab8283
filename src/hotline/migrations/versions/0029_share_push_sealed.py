"""share_push_subscriptions.secret → sealed_secret (encrypted at rest, sharing/sealing.py); an index on
share_push_deliveries.at for the log's pruning

The secrets already stored are sealed with the key derived from HOTLINE_SECRET_KEY, read as the app reads
it: run the upgrade with the same settings as the app (`hotline db upgrade`), or the app cannot unseal
them (deliveries then fail until 更换签名密钥). The downgrade unseals them back.

Revision ID: 0029_share_push_sealed
Revises: 0028_share_push
Create Date: 2026-11-27 19:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hotline.config import Settings
from hotline.sharing import sealing

revision = "0029_share_push_sealed"
down_revision = "0028_share_push"
branch_labels = None
depends_on = None

TABLE = "share_push_subscriptions"


def _convert(source: str, target: str, change) -> None:  # type: ignore[no-untyped-def]
    conn = op.get_bind()
    rows = conn.execute(sa.text(f"SELECT id, {source} FROM {TABLE}")).all()
    for sid, value in rows:
        conn.execute(sa.text(f"UPDATE {TABLE} SET {target} = :value WHERE id = :id"),
                     {"value": change(value), "id": sid})


def upgrade() -> None:
    key = Settings().secret_key
    with op.batch_alter_table(TABLE) as batch:
        batch.add_column(sa.Column("sealed_secret", sa.String(length=200), nullable=True))
    _convert("secret", "sealed_secret", lambda plain: sealing.seal(key, plain))
    with op.batch_alter_table(TABLE) as batch:
        batch.alter_column("sealed_secret", existing_type=sa.String(length=200), nullable=False)
        batch.drop_column("secret")
    op.create_index("ix_share_push_deliveries_at", "share_push_deliveries", ["at"])


def downgrade() -> None:
    key = Settings().secret_key
    op.drop_index("ix_share_push_deliveries_at", table_name="share_push_deliveries")
    with op.batch_alter_table(TABLE) as batch:
        batch.add_column(sa.Column("secret", sa.String(length=64), nullable=True))
    _convert("sealed_secret", "secret", lambda sealed: sealing.unseal(key, sealed))
    with op.batch_alter_table(TABLE) as batch:
        batch.alter_column("secret", existing_type=sa.String(length=64), nullable=False)
        batch.drop_column("sealed_secret")
