"""calls: telephony events, the call projection, transfers

Revision ID: 0004_calls
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_calls"
# The knowledge migration's revision id is "0002" (its file is 0002_knowledge.py).
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('calls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_ref', sa.String(length=64), nullable=False),
    sa.Column('caller', sa.String(length=20), nullable=True),
    sa.Column('dialled', sa.String(length=20), nullable=True),
    sa.Column('first_line', sa.String(length=20), nullable=True),
    sa.Column('current_line', sa.String(length=20), nullable=True),
    sa.Column('queue', sa.String(length=32), nullable=True),
    sa.Column('seat', sa.String(length=32), nullable=True),
    sa.Column('first_seat', sa.String(length=32), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('offered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('queued_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('abandoned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('offered_day', sa.Date(), nullable=True),
    sa.Column('offered_slot', sa.SmallInteger(), nullable=True),
    sa.Column('wait_seconds', sa.Integer(), nullable=True),
    sa.Column('talk_seconds', sa.Integer(), nullable=True),
    sa.Column('recording_ref', sa.String(length=300), nullable=True),
    sa.Column('event_count', sa.Integer(), nullable=False),
    sa.Column('rejected_count', sa.Integer(), nullable=False),
    sa.Column('transfer_count', sa.Integer(), nullable=False),
    sa.Column('anomaly', sa.String(length=200), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('callback_status', sa.String(length=16), nullable=True),
    sa.Column('callback_attempts', sa.Integer(), nullable=False),
    sa.Column('callback_outcome', sa.String(length=32), nullable=True),
    sa.Column('callback_note', sa.String(length=500), nullable=True),
    sa.Column('callback_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('callback_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['callback_by_id'], ['users.id'], name=op.f('fk_calls_callback_by_id_users')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_calls_ticket_id_tickets')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_calls_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calls')),
    sa.UniqueConstraint('call_ref', name=op.f('uq_calls_call_ref'))
    )
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.create_index('ix_calls_callback_status_offered_at', ['callback_status', 'offered_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_calls_caller'), ['caller'], unique=False)
        batch_op.create_index('ix_calls_offered_day_dialled', ['offered_day', 'dialled'], unique=False)
        batch_op.create_index(batch_op.f('ix_calls_ticket_id'), ['ticket_id'], unique=False)
        batch_op.create_index('ix_calls_user_id_status', ['user_id', 'status'], unique=False)

    op.create_table('call_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=True),
    sa.Column('call_ref', sa.String(length=64), nullable=True),
    sa.Column('event_id', sa.String(length=64), nullable=True),
    sa.Column('sequence', sa.Integer(), nullable=True),
    sa.Column('type', sa.String(length=16), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('caller', sa.String(length=20), nullable=True),
    sa.Column('dialled', sa.String(length=20), nullable=True),
    sa.Column('queue', sa.String(length=32), nullable=True),
    sa.Column('seat', sa.String(length=32), nullable=True),
    sa.Column('operator', sa.String(length=64), nullable=True),
    sa.Column('recording_ref', sa.String(length=300), nullable=True),
    sa.Column('target', sa.String(length=20), nullable=True),
    sa.Column('three_way', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('error_code', sa.String(length=64), nullable=True),
    sa.Column('error_message', sa.String(length=300), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_call_events_call_id_calls')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_events')),
    sa.UniqueConstraint('call_ref', 'event_id', name=op.f('uq_call_events_call_ref'))
    )
    with op.batch_alter_table('call_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_events_call_id'), ['call_id'], unique=False)

    op.create_table('call_transfers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('target_number', sa.String(length=20), nullable=False),
    sa.Column('target_kind', sa.String(length=16), nullable=False),
    sa.Column('target_label', sa.String(length=100), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('by_user_id', sa.Integer(), nullable=True),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('responsible_line', sa.String(length=20), nullable=True),
    sa.ForeignKeyConstraint(['by_user_id'], ['users.id'], name=op.f('fk_call_transfers_by_user_id_users')),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_call_transfers_call_id_calls')),
    sa.ForeignKeyConstraint(['event_id'], ['call_events.id'], name=op.f('fk_call_transfers_event_id_call_events')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_transfers'))
    )
    with op.batch_alter_table('call_transfers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_transfers_call_id'), ['call_id'], unique=False)



def downgrade() -> None:
    op.drop_table("call_transfers")
    op.drop_table("call_events")
    op.drop_table("calls")
