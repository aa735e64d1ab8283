"""Migration 0024 gives tickets already waiting for acknowledgement a warning time (即将签收超时)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import create_engine, text

from hotline.migrate import upgrade


def test_waiting_tickets_get_a_warning_time(tmp_path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0023_callback_attempts")
    columns = ("number, state, channel, kind, urgency, is_enterprise, is_complex, confidential, requester_anonymous, "
               "title, content, created_at, updated_at, extension_pending, extension_days_used, callback_attempts, "
               "callback_attempt_days, remind_count, supervise_count, reopen_count, return_count, support, "
               "dispatched_at, ack_due_at")
    insert = text(f"INSERT INTO tickets ({columns}) VALUES (:number, :state, 'phone', 'complaint', 'normal', 0, 0, 0, "
                  "0, '标题', '内容', :at, :at, 0, 0, 0, 0, 0, 0, 0, 0, 0, :at, :due)")
    # As the app stores them on SQLite: naive UTC text (hotline.db.UTCDateTime).
    dispatched = datetime(2026, 11, 2, 2, 0)
    with engine.begin() as conn:
        # 2 hours to acknowledge: warned in the last quarter (30 minutes); 7 days: 24 hours before.
        conn.execute(insert, {"number": "A", "state": "dispatched", "at": dispatched,
                              "due": datetime(2026, 11, 2, 4, 0)})
        conn.execute(insert, {"number": "B", "state": "dispatched", "at": dispatched,
                              "due": datetime(2026, 11, 9, 2, 0)})
        conn.execute(insert, {"number": "C", "state": "handling", "at": dispatched,
                              "due": datetime(2026, 11, 2, 4, 0)})
    upgrade(engine)
    with engine.connect() as conn:
        warn = dict(conn.execute(text("SELECT number, ack_warn_at FROM tickets")).all())
    engine.dispose()
    assert str(warn["A"]).startswith("2026-11-02 03:30")
    assert str(warn["B"]).startswith("2026-11-08 02:00")
    assert warn["C"] is None  # acknowledged already: nothing to warn of
