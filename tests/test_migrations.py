"""The Alembic migrations and the models describe the same schema, on the test database."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

import hotline.models  # noqa: F401  (registers every table)
from hotline.db import Base
from hotline.migrate import alembic_config, current


def test_database_is_at_head(engine: Engine) -> None:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert current(engine) == ",".join(sorted(heads))


def test_models_match_migrations(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"models and migrations differ — add a migration: {diff}"


def test_serve_refuses_a_database_behind_the_code(tmp_path, monkeypatch) -> None:
    from sqlalchemy import create_engine
    from typer.testing import CliRunner

    from hotline.cli import app
    from hotline.migrate import behind, upgrade

    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = create_engine(url)
    upgrade(old, "0018_kb_import_jobs")  # a database one migration behind
    assert behind(old) == ("0018_kb_import_jobs", ",".join(sorted(
        ScriptDirectory.from_config(alembic_config()).get_heads())))
    old.dispose()
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    r = CliRunner().invoke(app, ["serve", "--port", "1"])
    assert r.exit_code == 2 and "数据库结构不是最新" in r.output and "hotline db upgrade" in r.output
