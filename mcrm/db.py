"""One engine and session setup shared by the web app, the scheduler and the gateway."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import ClassVar

from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, scoped_session, sessionmaker
from sqlalchemy.types import TypeDecorator

# Stable constraint names so Alembic can compare and drop them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """An aware UTC datetime on every backend (SQLite hands back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTC column")
            value = value.astimezone(dt.UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict] = {dt.datetime: UTCDateTime}


# Thread-local sessions: a web request, a scheduler job and the gateway loop each get their own.
db = scoped_session(sessionmaker(expire_on_commit=False))
_engine: Engine | None = None


def _sqlite_pragmas(dbapi_connection, _record):
    # WAL lets readers go on while one writer writes; the busy timeout waits instead of failing.
    # pysqlite's own deferred BEGIN is switched off: see _sqlite_begin.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
    _sqlite_functions(dbapi_connection)


def _sqlite_functions(dbapi_connection) -> None:
    # What PostgreSQL computes with regular expressions (a promotion's SMS encoding and size) is a Python
    # function on SQLite. Imported here: the module needs the models, which need this one.
    from mcrm.promotions.sms_sql import SQLITE_FUNCTIONS

    for name, arguments, function in SQLITE_FUNCTIONS:
        dbapi_connection.create_function(name, arguments, function, deterministic=True)


def _sqlite_begin(connection) -> None:
    # A deferred transaction that reads and then writes can fail at once with "database is locked"
    # when another connection wrote in between; taking the write lock up front makes it wait instead.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def configure_engine(url: str, pool_size: int = 5) -> Engine:
    """Create the process's engine for `url` and bind the session factory to it."""
    global _engine
    if _engine is not None:
        _engine.dispose()
    kwargs = {"pool_pre_ping": True, "pool_size": pool_size, "max_overflow": 10}
    if url.startswith("sqlite"):
        kwargs = {"connect_args": {"check_same_thread": False}}
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    db.remove()
    db.configure(bind=engine)
    _engine = engine
    return engine


def get_engine() -> Engine:
    if _engine is None:
        raise RuntimeError("configure_engine() has not been called")
    return _engine


@contextmanager
def job_session() -> Iterator[None]:
    """Scope for a scheduler job or gateway step: commit on success, always release the session."""
    try:
        yield
        db.commit()
    except BaseException:
        db.rollback()
        raise
    finally:
        db.remove()
