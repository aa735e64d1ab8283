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
