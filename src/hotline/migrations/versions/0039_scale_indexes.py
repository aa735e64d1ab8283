"""ticket_events (action, at): the period's events of one kind without reading every event of the period;
tickets (state, finished_at, solved, satisfaction, review_conclusion): the 回头看 list and its counts

接诉即答率 (dispatches of consultations and cited direct answers), the maintenance report's direct answers and
the report's 派单及时率, 涉企诉求 and 好差评 each count one or two actions over a month; with the index on `at`
alone every count read all the month's events (bench/city_scale.py: 1.3 s on SQLite for 接诉即答率 at
300,000 tickets a year). The 回头看 list's population (finished, unsolved or unsatisfied) was found through
the index on state, a table read per finished ticket (nine in ten of all): its counts and pages now read the
covering index only (2.6 s a first page on SQLite at that size).

Revision ID: 0039_scale_indexes
Revises: 0038_action_idempotency
Create Date: 2026-11-28 01:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0039_scale_indexes"
down_revision = "0038_action_idempotency"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_ticket_events_action_at", "ticket_events", ["action", "at"])
    op.create_index("ix_tickets_revisit", "tickets",
                    ["state", "finished_at", "solved", "satisfaction", "review_conclusion"])


def downgrade() -> None:
    op.drop_index("ix_tickets_revisit", table_name="tickets")
    op.drop_index("ix_ticket_events_action_at", table_name="ticket_events")
