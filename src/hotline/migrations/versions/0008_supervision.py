"""supervision: reminders, orders, escalations, notifications, meetings, findings, scheduler log

Revision ID: 0008_supervision
Revises: 0002
Create Date: 2026-11-25 18:20:35.678817
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0008_supervision"
down_revision = "0002"  # 0002_knowledge
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('supervision_scheduler_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('worker', sa.String(length=100), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('errors', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_scheduler_runs'))
    )
    with op.batch_alter_table('supervision_scheduler_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supervision_scheduler_runs_started_at'), ['started_at'], unique=False)

    op.create_table('supervision_scheduler_state',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_supervision_scheduler_state'))
    )
    op.create_table('supervision_meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('topic', sa.Text(), nullable=False),
    sa.Column('held_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('location', sa.String(length=200), nullable=True),
    sa.Column('host', sa.String(length=100), nullable=False),
    sa.Column('attendees', sa.JSON(), nullable=False),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.Column('follow_up', sa.Text(), nullable=True),
    sa.Column('concluded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_by_name', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_supervision_meetings_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_meetings'))
    )
    with op.batch_alter_table('supervision_meetings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supervision_meetings_held_at'), ['held_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_supervision_meetings_kind'), ['kind'], unique=False)

    op.create_table('supervision_meeting_tickets',
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['supervision_meetings.id'], name=op.f('fk_supervision_meeting_tickets_meeting_id_supervision_meetings')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_supervision_meeting_tickets_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('meeting_id', 'ticket_id', name=op.f('pk_supervision_meeting_tickets'))
    )
    with op.batch_alter_table('supervision_meeting_tickets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supervision_meeting_tickets_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('supervision_meeting_units',
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['supervision_meetings.id'], name=op.f('fk_supervision_meeting_units_meeting_id_supervision_meetings')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_supervision_meeting_units_unit_id_units')),
    sa.PrimaryKeyConstraint('meeting_id', 'unit_id', name=op.f('pk_supervision_meeting_units'))
    )
    with op.batch_alter_table('supervision_meeting_units', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supervision_meeting_units_unit_id'), ['unit_id'], unique=False)

    op.create_table('supervision_findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('detail', sa.String(length=300), nullable=False),
    sa.Column('dedupe_key', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['ticket_events.id'], name=op.f('fk_supervision_findings_event_id_ticket_events')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_supervision_findings_ticket_id_tickets')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_supervision_findings_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_findings')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_supervision_findings_dedupe_key'))
    )
    with op.batch_alter_table('supervision_findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supervision_findings_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_supervision_findings_ticket_id'), ['ticket_id'], unique=False)
        batch_op.create_index('ix_supervision_findings_unit_at', ['unit_id', 'at'], unique=False)

    op.create_table('supervision_orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('dedupe_key', sa.String(length=120), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('ticket_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by_name', sa.String(length=100), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_by_name', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['ticket_assignments.id'], name=op.f('fk_supervision_orders_assignment_id_ticket_assignments')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_supervision_orders_created_by_id_users')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_supervision_orders_ticket_id_tickets')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_supervision_orders_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_orders')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_supervision_orders_dedupe_key'))
    )
    with op.batch_alter_table('supervision_orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supervision_orders_issued_at'), ['issued_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_supervision_orders_assignment_id'), ['assignment_id'], unique=False)
        batch_op.create_index('ix_supervision_orders_status_due_at', ['status', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_supervision_orders_ticket_id'), ['ticket_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supervision_orders_unit_id'), ['unit_id'], unique=False)

    op.create_table('supervision_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('step', sa.String(length=16), nullable=False),
    sa.Column('audience', sa.String(length=16), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['ticket_assignments.id'], name=op.f('fk_supervision_reminders_assignment_id_ticket_assignments')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_supervision_reminders_ticket_id_tickets')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_supervision_reminders_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_reminders')),
    sa.UniqueConstraint('assignment_id', 'step', 'due_at', name=op.f('uq_supervision_reminders_assignment_id'))
    )
    with op.batch_alter_table('supervision_reminders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supervision_reminders_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_supervision_reminders_ticket_id'), ['ticket_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supervision_reminders_unit_id'), ['unit_id'], unique=False)

    op.create_table('supervision_escalations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('audience', sa.String(length=16), nullable=False),
    sa.Column('target_unit_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_name', sa.String(length=100), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['supervision_orders.id'], name=op.f('fk_supervision_escalations_order_id_supervision_orders')),
    sa.ForeignKeyConstraint(['target_unit_id'], ['units.id'], name=op.f('fk_supervision_escalations_target_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_escalations')),
    sa.UniqueConstraint('order_id', 'level', name=op.f('uq_supervision_escalations_order_id'))
    )
    with op.batch_alter_table('supervision_escalations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supervision_escalations_order_id'), ['order_id'], unique=False)

    op.create_table('supervision_notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('audience', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('meeting_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('read_by_name', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['meeting_id'], ['supervision_meetings.id'], name=op.f('fk_supervision_notifications_meeting_id_supervision_meetings')),
    sa.ForeignKeyConstraint(['order_id'], ['supervision_orders.id'], name=op.f('fk_supervision_notifications_order_id_supervision_orders')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_supervision_notifications_ticket_id_tickets')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_supervision_notifications_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_notifications'))
    )
    with op.batch_alter_table('supervision_notifications', schema=None) as batch_op:
        batch_op.create_index('ix_supervision_notifications_inbox', ['unit_id', 'read_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supervision_notifications_ticket_id'), ['ticket_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('supervision_notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supervision_notifications_ticket_id'))
        batch_op.drop_index('ix_supervision_notifications_inbox')

    op.drop_table('supervision_notifications')
    with op.batch_alter_table('supervision_escalations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supervision_escalations_order_id'))

    op.drop_table('supervision_escalations')
    with op.batch_alter_table('supervision_reminders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supervision_reminders_unit_id'))
        batch_op.drop_index(batch_op.f('ix_supervision_reminders_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_supervision_reminders_created_at'))

    op.drop_table('supervision_reminders')
    with op.batch_alter_table('supervision_orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supervision_orders_unit_id'))
        batch_op.drop_index(batch_op.f('ix_supervision_orders_ticket_id'))
        batch_op.drop_index('ix_supervision_orders_status_due_at')
        batch_op.drop_index(batch_op.f('ix_supervision_orders_assignment_id'))
        batch_op.drop_index(batch_op.f('ix_supervision_orders_issued_at'))

    op.drop_table('supervision_orders')
    with op.batch_alter_table('supervision_findings', schema=None) as batch_op:
        batch_op.drop_index('ix_supervision_findings_unit_at')
        batch_op.drop_index(batch_op.f('ix_supervision_findings_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_supervision_findings_at'))

    op.drop_table('supervision_findings')
    with op.batch_alter_table('supervision_meeting_units', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supervision_meeting_units_unit_id'))

    op.drop_table('supervision_meeting_units')
    with op.batch_alter_table('supervision_meeting_tickets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supervision_meeting_tickets_ticket_id'))

    op.drop_table('supervision_meeting_tickets')
    with op.batch_alter_table('supervision_meetings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supervision_meetings_kind'))
        batch_op.drop_index(batch_op.f('ix_supervision_meetings_held_at'))

    op.drop_table('supervision_meetings')
    op.drop_table('supervision_scheduler_state')
    with op.batch_alter_table('supervision_scheduler_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supervision_scheduler_runs_started_at'))

    op.drop_table('supervision_scheduler_runs')
