"""Engine, sessions, the declarative Base with a naming convention, and the one UTC datetime type."""

from __future__ import annotations

import threading
import weakref
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

from hotline.config import Settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every database (SQLite hands back naive ones otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        # SQLite stores text: keep it naive-UTC so that string order is time order.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy issue BEGIN itself (pysqlite's own transaction handling breaks savepoints).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    # IMMEDIATE: a transaction that reads then writes never fails with a stale snapshot;
    # writers queue on busy_timeout instead (SQLite is the single-node embedded default).
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def no_nul(value: Any) -> Any:
    """The string without NUL characters (what the database is sent: see _strip_nul)."""
    return value.replace("\x00", "") if isinstance(value, str) and "\x00" in value else value


def _clean(params: Any) -> Any:
    if isinstance(params, dict):
        if any(isinstance(v, str) and "\x00" in v for v in params.values()):
            return {k: no_nul(v) for k, v in params.items()}
    elif isinstance(params, (list, tuple)) and any(isinstance(v, str) and "\x00" in v for v in params):
        return type(params)(no_nul(v) for v in params)
    return params


def _strip_nul(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
               executemany: bool) -> tuple[str, Any]:
    """NUL characters (invisible; a pasted or imported text may carry one) leave every string
    written: PostgreSQL refuses them in text ("cannot contain NUL"), and SQLite would keep what the
    production database cannot — the two must store the same."""
    if executemany and isinstance(parameters, (list, tuple)):
        return statement, type(parameters)(_clean(p) for p in parameters)
    return statement, _clean(parameters)


def make_engine(settings: Settings) -> Engine:
    url = settings.database_url
    kwargs: dict[str, Any] = {"echo": settings.sql_echo, "future": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False}
        if url in ("sqlite://", "sqlite:///:memory:"):
            kwargs["poolclass"] = StaticPool
            # One connection shared by every session: returning it must not roll back the transaction
            # another holder still has open (the clock's holiday loader borrows it mid-transaction).
            # Sessions end their own transactions; the pool's reset would only ever hit someone else's.
            kwargs["pool_reset_on_return"] = None
    else:
        kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
    engine = create_engine(url, **kwargs)
    event.listen(engine, "before_cursor_execute", _strip_nul, retval=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


_autocommit_engines: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()
_autocommit_lock = threading.Lock()


def autocommit_engine(engine: Engine) -> Engine:
    """A sibling of `engine` (same database) whose connections run each statement as its own transaction,
    for a statement that must commit at once whatever the caller's transaction does (a ticket number).

    It has its own small pool: a caller already holding a connection of the main pool never waits for
    that pool to free a second one, so the two cannot exhaust each other. No pre-ping: callers run one
    statement and retry once on a dropped connection (see autocommit_execute). Not for SQLite, whose
    IMMEDIATE transactions would make a second connection wait for the caller's own write lock."""
    with _autocommit_lock:
        sibling = _autocommit_engines.get(engine)
        if sibling is None:
            sibling = create_engine(engine.url, isolation_level="AUTOCOMMIT", pool_size=4, max_overflow=8,
                                    pool_pre_ping=False, echo=engine.echo)
            event.listen(sibling, "before_cursor_execute", _strip_nul, retval=True)
            _autocommit_engines[engine] = sibling
        return sibling


def autocommit_execute(engine: Engine, statement: Any, params: dict[str, Any] | None = None) -> Any:
    """Run one statement in its own transaction on autocommit_engine(engine) and return its first row.
    Retried once if the pooled connection turns out to be dead (e.g. after a database restart): a
    statement that may have committed before the connection dropped is then repeated, so use it only
    where a repeat is harmless (a counter may skip a value, never return one twice)."""
    sibling = autocommit_engine(engine)
    for attempt in (1, 2):
        try:
            with sibling.connect() as conn:
                return conn.execute(statement, params or {}).one()
        except DBAPIError as exc:
            if attempt == 2 or not exc.connection_invalidated:
                raise
    raise AssertionError("unreachable")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions on `engine`. A process works on one database, so its factory is also where the
    clock reads the holiday arrangements entered for years the calendar package does not know
    (every entry point — app, CLI, worker, demo — gets them without wiring of its own)."""
    from hotline import clock
    from hotline.workdays.service import loader

    clock.set_supplement_loader(loader(engine))
    factory = sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)
    event.listen(factory, "before_flush", _strip_nul_in_objects)
    return factory


def _strip_nul_in_objects(session: Session, flush_context: Any, instances: Any) -> None:
    """The rows' objects drop NUL as the statements do (_strip_nul): with expire_on_commit off, an
    answer built from the object would otherwise show the caller a text unlike the one stored."""
    for obj in (*session.new, *session.dirty):
        for key, value in list(vars(obj).items()):
            if isinstance(value, str) and "\x00" in value and not key.startswith("_"):
                setattr(obj, key, value.replace("\x00", ""))


def utcnow() -> datetime:
    return datetime.now(UTC)
