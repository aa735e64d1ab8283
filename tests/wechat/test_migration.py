"""Migration 0027 adds the WeChat tables and takes them away again, leaving the SMS tables alone
(the test database itself, SQLite or PostgreSQL, is migrated to head by the root conftest; the
models-match-migrations check covers it there)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, inspect

from hotline.migrate import current, upgrade


def test_0027_round_trips(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from alembic import command

    from hotline.migrate import alembic_config

    url = f"sqlite:///{tmp_path / 'wx.db'}"
    engine = create_engine(url)
    upgrade(engine, "0026_sms_retry")
    assert "wechat_message" not in inspect(engine).get_table_names()
    upgrade(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"wechat_message", "wechat_outbound", "sms_inbound"} <= tables
    uniques = inspect(engine).get_unique_constraints("wechat_message")
    assert [u["column_names"] for u in uniques] == [["account", "msg_key"]]
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0026_sms_retry")
    assert current(engine) == "0026_sms_retry"
    assert not {"wechat_message", "wechat_outbound"} & set(inspect(engine).get_table_names())
    upgrade(engine)
    assert "wechat_message" in inspect(engine).get_table_names()
    engine.dispose()


def test_the_test_database_has_the_tables(engine) -> None:  # type: ignore[no-untyped-def]
    names = set(inspect(engine).get_table_names())
    assert {"wechat_message", "wechat_outbound"} <= names


def test_0034_adds_answering_at_and_round_trips(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from alembic import command
    from sqlalchemy import text

    from hotline.migrate import alembic_config

    engine = create_engine(f"sqlite:///{tmp_path / 'wx34.db'}")
    upgrade(engine, "0033_public_figures")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO wechat_message (account, msg_key, openid, msg_type, content, sent_at, "
                          "received_at, reply, status) VALUES ('gh_a', '1', 'o1', 'text', '你好', "
                          "'2026-11-02 02:00:00', '2026-11-02 02:00:01', '您好', 'auto')"))
    upgrade(engine)
    columns = {c["name"] for c in inspect(engine).get_columns("wechat_message")}
    assert "answering_at" in columns
    with engine.connect() as conn:  # a message stored before: answered, held by nobody
        assert tuple(conn.execute(text("SELECT reply, answering_at FROM wechat_message")).one()) == ("您好", None)
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0033_public_figures")
    assert "answering_at" not in {c["name"] for c in inspect(engine).get_columns("wechat_message")}
    upgrade(engine)
    engine.dispose()


def test_0036_adds_resend_of_id_unique_and_round_trips(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from alembic import command
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from hotline.migrate import alembic_config

    engine = create_engine(f"sqlite:///{tmp_path / 'wx36.db'}")
    upgrade(engine, "0035_revisit")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO wechat_outbound (account, openid, text, purpose, status, created_at, "
                          "failed_reason) VALUES ('gh_a', 'o1', '您好', 'reply', 'failed', '2026-11-02 02:00:00', "
                          "'45015')"))
    upgrade(engine, "0036_wechat_resend")
    assert current(engine) == "0036_wechat_resend"
    uniques = inspect(engine).get_unique_constraints("wechat_outbound")
    assert [u["column_names"] for u in uniques] == [["resend_of_id"]]
    insert = ("INSERT INTO wechat_outbound (account, openid, text, purpose, status, created_at, resend_of_id) "
              "VALUES ('gh_a', 'o1', '您好', 'reply', 'queued', '2026-11-02 03:00:00', 1)")
    with engine.begin() as conn:  # a message stored before: not resent; resent once, not twice
        assert conn.execute(text("SELECT resend_of_id FROM wechat_outbound")).scalar_one() is None
        conn.execute(text(insert))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text(insert))
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0035_revisit")
    assert "resend_of_id" not in {c["name"] for c in inspect(engine).get_columns("wechat_outbound")}
    upgrade(engine)
    engine.dispose()
