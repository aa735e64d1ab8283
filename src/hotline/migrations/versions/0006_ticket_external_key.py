"""tickets: external key of imported messages (unique) and public support (likes)

Revision ID: 0006_ticket_external_key
Revises: 0002
Create Date: 2026-11-25 18:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0006_ticket_external_key'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('external_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('support', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_unique_constraint(batch_op.f('uq_tickets_external_key'), ['external_key'])


def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_tickets_external_key'), type_='unique')
        batch_op.drop_column('support')
        batch_op.drop_column('external_key')
