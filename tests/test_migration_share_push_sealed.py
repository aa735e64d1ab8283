"""Migration 0029 seals the push signing secrets already stored (with the key derived from the app's
secret_key, read from the environment as the app reads it), adds the delivery log's index, and
round-trips: down to 0028 (the secrets unsealed again) and up."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, inspect, text

from hotline.config import Settings
from hotline.migrate import alembic_config, upgrade
from hotline.sharing import sealing

SECRETS = {1: "whsec_" + "a" * 43, 2: "whsec_" + "b" * 43}


def test_stored_secrets_are_sealed_and_the_migration_round_trips(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HOTLINE_SECRET_KEY", "the-key-of-this-installation")
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")  # foreign keys not enforced: no users needed
    upgrade(engine, "0028_share_push")
    insert = text("INSERT INTO share_push_subscriptions (id, account_id, url, secret, status, cursor, failures, "
                  "delivered_events, deliveries_ok, deliveries_failed, created_at, updated_at) VALUES (:id, :id, "
                  "'https://fcj.test/hook', :secret, 'active', 0, 0, 0, 0, 0, '2026-11-27 02:00:00', "
                  "'2026-11-27 02:00:00')")
    with engine.begin() as conn:
        for sid, secret in SECRETS.items():
            conn.execute(insert, {"id": sid, "secret": secret})
    upgrade(engine)

    with engine.connect() as conn:
        stored = dict(conn.execute(text("SELECT id, sealed_secret FROM share_push_subscriptions")).all())
    columns = {c["name"] for c in inspect(engine).get_columns("share_push_subscriptions")}
    assert "secret" not in columns and "sealed_secret" in columns
    assert all(SECRETS[sid] not in sealed for sid, sealed in stored.items())
    key = Settings().secret_key
    assert key == "the-key-of-this-installation"
    assert {sid: sealing.unseal(key, sealed) for sid, sealed in stored.items()} == SECRETS
    assert "ix_share_push_deliveries_at" in _indexes(engine)

    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0028_share_push")
    with engine.connect() as conn:
        assert dict(conn.execute(text("SELECT id, secret FROM share_push_subscriptions")).all()) == SECRETS
    assert "ix_share_push_deliveries_at" not in _indexes(engine)
    upgrade(engine)
    with engine.connect() as conn:
        again = dict(conn.execute(text("SELECT id, sealed_secret FROM share_push_subscriptions")).all())
    assert {sid: sealing.unseal(key, sealed) for sid, sealed in again.items()} == SECRETS
    engine.dispose()


def _indexes(engine) -> set[str]:  # type: ignore[no-untyped-def]
    return {str(i["name"]) for i in inspect(engine).get_indexes("share_push_deliveries")}
