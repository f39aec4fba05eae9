"""Database engine, session and base model.

SQLite is the embedded default: the pragmas and the ``BEGIN IMMEDIATE`` for writing
requests follow STACK.md (a deferred BEGIN gave hundreds of "database is locked" errors
under concurrent read-then-write transactions). PostgreSQL goes through psycopg 3.
"""

from __future__ import annotations

from contextvars import ContextVar
from datetime import timezone
from functools import wraps
from typing import Callable, ParamSpec, TypeVar

from sqlalchemy import DateTime, MetaData, create_engine, event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from .clock import utcnow  # noqa: F401  (models take their defaults from the one clock)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)




class UTCDateTime(TypeDecorator):
    """Stores naive UTC, returns aware UTC, so SQLite and PostgreSQL behave alike."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


WRITE_OPTION = "refurb_write"


def _setup_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # We emit BEGIN ourselves (below); pysqlite's own handling would run
        # SELECTs outside the transaction.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        if conn.get_execution_options().get(WRITE_OPTION):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


class Database:
    """One engine for the app; sessions for reading and for writing."""

    def __init__(self, url: str, **engine_kwargs):
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            engine_kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 5})
        else:
            engine_kwargs.setdefault("pool_pre_ping", True)
        self.engine = create_engine(url, **engine_kwargs)
        if self.is_sqlite:
            _setup_sqlite(self.engine)
        self.write_engine = self.engine.execution_options(**{WRITE_OPTION: True})
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(self.write_engine, expire_on_commit=False)

    def session(self, write: bool = False) -> Session:
        return (self._write if write else self._read)()

    def dispose(self) -> None:
        self.engine.dispose()


# --- units of work ----------------------------------------------------------------------------------

_use_case_depth: ContextVar[int] = ContextVar("refurb_use_case_depth", default=0)

P = ParamSpec("P")
T = TypeVar("T")


def use_case(fn: Callable[P, T]) -> Callable[P, T]:
    """A service function that is a whole use case: it commits what it did, or rolls all of it back.

    Its first argument is the session. A use case called from another one joins the caller's
    transaction (only the outermost commits), so a donation that creates ten devices is still
    all-or-nothing. Views and the API never commit: they call one use case and render.
    """

    @wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        db: Session = args[0] if args else kwargs["db"]  # type: ignore[assignment]
        depth = _use_case_depth.get()
        token = _use_case_depth.set(depth + 1)
        try:
            result = fn(*args, **kwargs)
            if depth == 0:
                db.commit()
            return result
        except BaseException:
            if depth == 0:
                db.rollback()
            raise
        finally:
            _use_case_depth.reset(token)

    run.is_use_case = True  # type: ignore[attr-defined]
    return run


def lock_rows(db: Session, model, ids) -> None:
    """Take the row locks of these rows (ids in a fixed order: two use cases never wait on each other in a
    cycle). PostgreSQL locks the rows; SQLite already holds the database's write lock (BEGIN IMMEDIATE)."""
    ids = sorted(set(ids))
    if ids:
        db.execute(select(model.id).where(model.id.in_(ids)).order_by(model.id).with_for_update()).all()
