"""INSERT … ON CONFLICT DO NOTHING RETURNING id on SQLite (3.35+) and PostgreSQL: the one primitive that
makes the scheduler idempotent. A row that already exists (another worker, an earlier run) gives None."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session


def insert_new(db: Session, model: Any, values: dict[str, Any], *, conflict: list[str]) -> Any:
    """Insert `values` unless a row with the same `conflict` columns exists; the new id (or, for a table
    without an id, its first key column), or None."""
    key = getattr(model, "id", None) or getattr(model, conflict[0])
    dialect = db.get_bind().dialect.name
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(model).values(**values).on_conflict_do_nothing(index_elements=conflict)
    elif dialect == "sqlite":
        stmt = sqlite.insert(model).values(**values).on_conflict_do_nothing(index_elements=conflict)
    else:  # pragma: no cover - other databases: a savepoint and the unique constraint
        try:
            with db.begin_nested():
                return db.execute(insert(model).values(**values).returning(key)).scalar_one()
        except IntegrityError:
            return None
    return db.execute(stmt.returning(key)).scalar_one_or_none()


def insert_many_new(db: Session, model: Any, rows: list[dict[str, Any]], *, conflict: list[str],
                    returning: list[Any]) -> list[Any]:
    """insert_new for a whole batch in one statement: the `returning` columns of the rows inserted
    (rows that already existed are left out)."""
    if not rows:
        return []
    dialect = db.get_bind().dialect.name
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(model).on_conflict_do_nothing(index_elements=conflict)
    elif dialect == "sqlite":
        stmt = sqlite.insert(model).on_conflict_do_nothing(index_elements=conflict)
    else:  # pragma: no cover
        return [r for r in (insert_new(db, model, row, conflict=conflict) for row in rows) if r is not None]
    # executemany: SQLAlchemy's "insertmanyvalues" sends multi-row statements from one cached
    # compilation (a .values(rows) statement is compiled afresh for every batch, 8,000 parameters).
    return list(db.execute(stmt.returning(*returning), rows).all())
