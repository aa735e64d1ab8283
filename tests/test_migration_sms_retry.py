"""Migration 0026 adds the retry columns to texts already stored (attempts as reported so far) and
round-trips: down to 0025 and up again."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, text

from hotline.migrate import alembic_config, upgrade


def test_stored_texts_get_their_attempts_and_the_migration_round_trips(tmp_path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0025_sms")
    insert = text("INSERT INTO sms_outbound (phone, text, purpose, status, created_at, failed_reason) "
                  "VALUES (:phone, '答复【12345】', 'reply', :status, '2026-11-02 02:00:00', :reason)")
    with engine.begin() as conn:
        conn.execute(insert, {"phone": "13900000001", "status": "queued", "reason": None})
        conn.execute(insert, {"phone": "13900000002", "status": "sent", "reason": None})
        conn.execute(insert, {"phone": "13900000003", "status": "failed", "reason": "空号"})
    upgrade(engine)
    query = text("SELECT phone, attempts, last_error, next_attempt_at, resend_of_id FROM sms_outbound ORDER BY phone")
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(query)]
    assert rows == [("13900000001", 0, None, None, None), ("13900000002", 1, None, None, None),
                    ("13900000003", 1, "空号", None, None)]
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0025_sms")
    with engine.connect() as conn:
        columns = {r[1] for r in conn.execute(text("PRAGMA table_info(sms_outbound)"))}
    assert "attempts" not in columns and "resend_of_id" not in columns and "failed_reason" in columns
    upgrade(engine)
    with engine.connect() as conn:
        assert [tuple(r) for r in conn.execute(query)] == rows
    engine.dispose()
