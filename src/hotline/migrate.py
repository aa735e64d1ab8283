"""Creating or migrating the database with Alembic, on whatever database the settings name."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = "heads") -> None:
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def current(engine: Engine) -> str | None:
    """The database's revision(s), comma-separated when independent branches are applied."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        heads = MigrationContext.configure(conn).get_current_heads()
    return ",".join(sorted(heads)) or None


def behind(engine: Engine) -> tuple[str | None, str] | None:
    """(the database's revision, the code's) when the database lacks a migration of this code, else None."""
    from alembic.script import ScriptDirectory

    heads = ",".join(sorted(ScriptDirectory.from_config(alembic_config()).get_heads()))
    have = current(engine)
    return None if have == heads else (have, heads)
