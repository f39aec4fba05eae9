"""Database engine, session and base model.

SQLite is the embedded default: the pragmas and the ``BEGIN IMMEDIATE`` for writing
requests follow STACK.md (a deferred BEGIN gave hundreds of "database is locked" errors
under concurrent read-then-write transactions). PostgreSQL goes through psycopg 3.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import stat
import threading
from collections import namedtuple
from contextvars import ContextVar
from datetime import date, datetime, timezone
from decimal import Decimal
from functools import lru_cache, wraps
from typing import Callable, ClassVar, ParamSpec, TypeVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Enum,
    Float,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    TextClause,
    create_engine,
    event,
    exc,
    func,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import MANYTOONE, DeclarativeBase, Session, sessionmaker
from sqlalchemy.sql.functions import FunctionElement
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
    # A small table that records name through lazy loads (the sites): read whole at the first such load of a
    # session (``_read_small_tables_whole``), so that the records of a list find theirs in the identity map.
    __read_whole__: ClassVar[bool] = False




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
WRITER_QUEUE_SECONDS = 20  # how long a writing request waits for its turn among this process's writers
_HOLDS_WRITERS = "refurb_holds_writers"


# A comparison of a column with a value of the statement that is a range or a pattern: the plan depends on
# that value (how many rows fall in the range, whether the pattern has a prefix an index can use).
_RANGE_OR_PATTERN = re.compile(r"(?:[<>]=?|\bI?LIKE|\bBETWEEN)\s*(?:lower\()?%\(", re.IGNORECASE)


@lru_cache(maxsize=2048)
def _planned_each_run(statement: str) -> bool:
    return _RANGE_OR_PATTERN.search(statement) is not None


def _setup_postgresql(engine: Engine) -> None:
    # psycopg prepares a statement run five times on a connection, and PostgreSQL may then plan it once for
    # any value: planning the eager loads (five or six joined tables) took 1.4 ms at each run, more than
    # running them (0.4 ms). That suits statements that look rows up by their keys. A statement whose plan
    # depends on its values (a range of dates, a search's pattern) is never prepared, so it is planned for
    # them at each run: planned once, a two-year report went from 0.5 to 2 s after its fifth run, and a word
    # search from 3.5 to 21 ms (the pattern hidden from the prefix and trigram indexes).
    if engine.dialect.driver != "psycopg":  # another driver prepares nothing: every run is planned anyway
        return
    from psycopg import ServerCursor

    @event.listens_for(engine, "do_execute")
    def _unprepared_when_values_matter(cursor, statement, parameters, context):
        # a server-side cursor (a list read in chunks, yield_per) is never prepared
        if _planned_each_run(statement) and not isinstance(cursor, ServerCursor):
            cursor.execute(statement, parameters, prepare=False)
            return True
        return False


def _setup_sqlite(engine: Engine) -> None:
    database = engine.url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        @event.listens_for(engine, "do_connect")
        def _before_connect(_dialect, _record, _cargs, _cparams):
            _repair_shared_memory_file(database)

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

    # The writers of this process queue here, in turn, before asking SQLite for its write lock: SQLite's busy
    # handler polls (sleeping up to 100 ms between tries), so under load a writer that just released the
    # lock takes it again before the sleepers wake, and one of them gives up after the busy timeout
    # ("database is locked") although each transaction is short. Other processes still meet busy_timeout.
    writers = threading.Lock()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        if not conn.get_execution_options().get(WRITE_OPTION):
            conn.exec_driver_sql("BEGIN")
            return
        if not writers.acquire(timeout=WRITER_QUEUE_SECONDS):
            raise exc.OperationalError("BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked"))
        conn.info[_HOLDS_WRITERS] = True
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _release(conn.info)
            raise

    def _release(info) -> None:
        if info.pop(_HOLDS_WRITERS, False):
            writers.release()

    # Every end of a transaction lets the next writer in: commit, rollback, and the pool's own reset of a
    # connection given back without either.
    event.listen(engine, "commit", lambda conn: _release(conn.info))
    event.listen(engine, "rollback", lambda conn: _release(conn.info))

    @event.listens_for(engine.pool, "reset")
    def _on_reset(_dbapi_connection, connection_record, _reset_state):
        _release(connection_record.info)

    @event.listens_for(engine.pool, "invalidate")
    def _on_invalidate(_dbapi_connection, connection_record, _exception):
        _release(connection_record.info)


# --- outages ----------------------------------------------------------------------------------------
# What SQLite says when the file cannot be used now (a disk, a permission, another writer), as opposed
# to a programming error ("no such table", "syntax error") that must stay a 500.
_SQLITE_UNAVAILABLE = ("unable to open database file", "readonly database", "disk i/o error",
                       "database or disk is full", "file is not a database", "database disk image is malformed")
_SQLITE_LOCKED = ("database is locked", "database table is locked")
# After one of these the pool's connections are all closed, not reused: SQLite opens a file it cannot
# write as read-only and keeps it so, and every connection of a process shares one mapping of the WAL's
# shared-memory file (-shm): while one connection opened during the outage stays open, the next ones
# refuse writes too, long after the file became writable again.
_SQLITE_DISCARD = ("unable to open database file", "readonly database", "disk i/o error", "file is not a database")


def outage_kind(err: BaseException) -> str | None:
    """"locked" (SQLite's write lock still held by another writer after the busy timeout), "unavailable"
    (the database cannot be reached or used now: server stopped, file unreadable or read-only, disk full),
    or None for any other error (a bug stays a bug)."""
    if isinstance(err, exc.TimeoutError):  # no free connection in the pool in time
        return "unavailable"
    if not isinstance(err, exc.DBAPIError):
        return None
    if err.connection_invalidated:
        return "unavailable"
    text = str(err.orig).lower()
    if any(m in text for m in _SQLITE_LOCKED):
        return "locked"
    if type(err.orig).__module__.startswith("sqlite3"):
        return "unavailable" if any(m in text for m in _SQLITE_UNAVAILABLE) else None
    # PostgreSQL (psycopg): OperationalError and InterfaceError are the connection's, not the query's.
    return "unavailable" if isinstance(err, (exc.OperationalError, exc.InterfaceError)) else None


def _discard_broken_sqlite_connections(engine: Engine) -> None:
    @event.listens_for(engine, "handle_error")
    def _on_error(context):
        original = context.original_exception
        if type(original).__module__.startswith("sqlite3") and \
                any(m in str(original).lower() for m in _SQLITE_DISCARD):
            context.is_disconnect = True  # this connection is closed, not returned to the pool
            context.engine.pool.dispose()  # and the idle ones with it: the next one opens the file anew


def _repair_shared_memory_file(database: str) -> None:
    """SQLite creates the WAL's -shm and -wal files with the database file's permissions. Made while the
    database was read-only, they stay read-only when the database becomes writable again, and every connection
    refuses writes ("attempt to write a readonly database") until it is removed at a restart. Give it the
    database's permissions back before a new connection maps it."""
    try:
        mode = stat.S_IMODE(os.stat(database).st_mode)
    except OSError:
        return
    if not mode & stat.S_IWUSR:
        return
    for companion in (f"{database}-shm", f"{database}-wal"):
        try:
            if mode & ~stat.S_IMODE(os.stat(companion).st_mode) & 0o222:  # the database may be written, it not
                os.chmod(companion, mode)
        except OSError:  # absent, or not ours to change: SQLite will say what it cannot do
            pass


class Database:
    """One engine for the app; sessions for reading and for writing."""

    def __init__(self, url: str, **engine_kwargs):
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            engine_kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 5})
        else:
            engine_kwargs.setdefault("pool_pre_ping", True)  # a server restarted: stale connections replaced
            # the connection used last serves the next request: the one whose statements are prepared
            engine_kwargs.setdefault("pool_use_lifo", True)
            if "connect_timeout" not in url:  # a server that does not answer: the request fails in seconds
                engine_kwargs.setdefault("connect_args", {"connect_timeout": 5})
        self.engine = create_engine(url, **engine_kwargs)
        if self.is_sqlite:
            _setup_sqlite(self.engine)
            _discard_broken_sqlite_connections(self.engine)
        elif self.engine.dialect.name == "postgresql":
            _setup_postgresql(self.engine)
        self.write_engine = self.engine.execution_options(**{WRITE_OPTION: True})
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(self.write_engine, expire_on_commit=False)
        for maker in (self._read, self._write):
            _track_writes(maker)
            _read_small_tables_whole(maker)

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


_WROTE = "refurb.wrote"  # in a session's info: its transaction sent a change to the database
_READ_WHOLE = "refurb.read_whole"  # in a session's info: the small tables read whole, held for the session


def _track_writes(maker: sessionmaker) -> None:
    """Note in each session whether its transaction sent a change (a flush, an INSERT, UPDATE or DELETE, any
    statement written as text but a SELECT), until that transaction ends."""
    @event.listens_for(maker, "after_flush")
    def _flushed(session, _context):
        session.info[_WROTE] = True

    @event.listens_for(maker, "do_orm_execute")
    def _executed(state):
        statement = state.statement
        reads = state.is_select if not isinstance(statement, TextClause) \
            else statement.text.lstrip().upper().startswith("SELECT")
        if not reads:
            state.session.info[_WROTE] = True

    @event.listens_for(maker, "after_transaction_end")
    def _ended(session, transaction):
        if transaction.parent is None:
            session.info.pop(_WROTE, None)


def _read_small_tables_whole(maker: sessionmaker) -> None:
    """A record's site is a lazy load, answered by the identity map when the site was read (a page reads its
    sites for its header). Where it was not (an API list of a hundred loans from nine sites), the first such
    load of a session reads the whole small table (``Base.__read_whole__``), held by the session: the next
    records find theirs without a query, where each site would cost one."""
    @event.listens_for(maker, "do_orm_execute")
    def _read_whole(state):
        if not (state.is_select and state.is_relationship_load) or state.bind_mapper is None:
            return
        path = state.loader_strategy_path
        relationship = getattr(path, "prop", None) if path is not None else None
        if relationship is None or relationship.direction is not MANYTOONE:  # a record's own site, not a list
            return
        model = state.bind_mapper.class_
        held = state.session.info.setdefault(_READ_WHOLE, {})
        if getattr(model, "__read_whole__", False) and model not in held:
            held[model] = state.session.scalars(select(model)).all()


def end_session(db: Session, *, failed: bool = False) -> None:
    """Close a request's session. A transaction that changed nothing ends with COMMIT, not ROLLBACK: psycopg
    forgets every statement it prepared on the connection at a rollback, and PostgreSQL would plan each
    request's statements again. A transaction holding changes that no use case committed (pending, or already
    flushed or executed), or the session of a request that failed, is rolled back."""
    changed = db.new or db.dirty or db.deleted or db.info.get(_WROTE)
    if not failed and db.in_transaction() and not changed:
        db.commit()
    db.close()


def reading_session(db: Session) -> Session:
    """A session on ``db``'s database that reads without taking SQLite's write lock: a long check made before
    short writes (an import) does not keep the desks from writing meanwhile."""
    return Session(db.get_bind().execution_options(**{WRITE_OPTION: False}), expire_on_commit=False)


def lock_rows(db: Session, model, ids) -> None:
    """Take the row locks of these rows (ids in a fixed order: two use cases never wait on each other in a
    cycle). PostgreSQL locks the rows; SQLite already holds the database's write lock (BEGIN IMMEDIATE)."""
    ids = sorted(set(ids))
    if ids:
        db.execute(select(model.id).where(model.id.in_(ids)).order_by(model.id).with_for_update()).all()


def plain_rows(db: Session, stmt, params: dict | None = None) -> list:
    """The rows of a statement that selects columns (never mapped objects), through the session's connection, in
    its transaction, after its pending changes (as the session's own autoflush would). The session's path
    treats a statement naming mapped columns as an ORM query: that costs about as much again as the statement
    itself on a page's small reads (a device's history: 0.21 → 0.13 ms)."""
    return _flushed_connection(db).execute(stmt, params or {}).all()


# --- what a transaction read once ------------------------------------------------------------------------

def kept(db: Session, key: str):
    """What ``keep`` kept under ``key`` in the session's current transaction (None: nothing, or kept in another
    transaction: what it read may have changed since)."""
    memo = db.info.get(key)
    transaction = db.get_transaction()
    return memo[1] if memo is not None and transaction is not None and memo[0] is transaction else None


def keep(db: Session, key: str, value):
    """Keep ``value`` under ``key`` for the rest of the session's current transaction; returns it."""
    db.info[key] = (db.get_transaction(), value)
    return value


# --- steering SQLite's planner ----------------------------------------------------------------------------

class _not_searched(FunctionElement):
    """A column, compared without SQLite searching an index by it (see ``not_searched``)."""

    inherit_cache = True

    def __init__(self, column):
        super().__init__(column)
        self.type = column.type


@compiles(_not_searched)
def _not_searched_as_is(element, compiler, **kw) -> str:
    return compiler.process(element.clauses.clauses[0], **kw)


@compiles(_not_searched, "sqlite")
def _not_searched_sqlite(element, compiler, **kw) -> str:
    return f"+{compiler.process(element.clauses.clauses[0], **kw)}"


def not_searched(column):
    """``column`` as is, but on SQLite behind a unary plus, which (as SQLite documents) keeps its planner from
    searching an index by it: for a statement better served by another index that gives rows in the order it needs.
    PostgreSQL plans by its statistics and reads the column as is."""
    return _not_searched(column)


# --- a few rows carried by another statement -------------------------------------------------------

class _json_array(FunctionElement):
    """A JSON array of its arguments (SQLite's json_array, PostgreSQL's json_build_array)."""

    type = Text()
    inherit_cache = True


class _json_group_array(FunctionElement):
    """Its argument's values of a group as one JSON array, as text (SQLite's json_group_array, PostgreSQL's
    json_agg)."""

    type = Text()
    inherit_cache = True


def _written_as(element: type, sqlite: str, postgresql: str) -> None:
    """How ``element`` is written on SQLite (also the default) and on PostgreSQL: ``{}`` stands for its arguments."""
    for dialect, form in ((None, sqlite), ("postgresql", postgresql)):
        def write(call, compiler, _form=form, **kw) -> str:
            return _form.format(compiler.process(call.clauses, **kw))
        compiles(element, *([dialect] if dialect else []))(write)


_written_as(_json_array, "json_array({})", "json_build_array({})")
_written_as(_json_group_array, "json_group_array({})", "CAST(json_agg({}) AS TEXT)")


class _json_value(FunctionElement):
    """A JSON column's value as JSON inside another JSON value (SQLite's json(): without it, its text)."""

    type = Text()
    inherit_cache = True


_written_as(_json_value, "json({})", "{}")


def json_rows(*columns):
    """An aggregate: the group's rows of ``columns`` as one JSON text, ``[[c1, c2, …], …]``, in no order (a date
    as ISO text, a JSON column's value as itself)."""
    return _json_group_array(_json_array(*(_json_value(column) if isinstance(column.type, JSON) else column
                                           for column in columns)))


def rows_as_json(stmt):
    """The rows of ``stmt`` (a SELECT of a few columns of a small table, with its ORDER BY) as one value: a scalar
    subquery that another statement selects beside its own columns, so that what a page reads first brings them
    in the same round trip. ``rows_from_json`` gives them back as tuples, in ``stmt``'s order (each row carries
    its rank: an aggregate keeps no order)."""
    ordered = stmt._order_by_clauses
    ranked = stmt.order_by(None).add_columns(func.row_number().over(order_by=ordered).label("rank")).subquery()
    return select(json_rows(*ranked.c)).scalar_subquery()


def rows_from_json(value: str | None) -> list[tuple]:
    """The rows ``rows_as_json`` carried (none: an empty table)."""
    rows = json.loads(value) if value else []
    return [tuple(row[:-1]) for row in sorted(rows, key=lambda row: row[-1])]


def typed_rows_from_json(value: str | None, stmt) -> list:
    """The rows ``rows_as_json(stmt)`` carried, as ``plain_rows(stmt)`` gives them: named by ``stmt``'s columns,
    each value of the column's type (a date, an aware UTC time, a boolean, a decimal, a JSON column's value)."""
    names, converters = _row_reader(stmt)
    return [names(*(cell if cell is None or convert is None else convert(cell)
                     for convert, cell in zip(converters, row)))
            for row in rows_from_json(value)]


@lru_cache(maxsize=64)
def _row_reader(stmt) -> tuple:
    """The row class and each column's converter (None: as JSON gives it) of ``typed_rows_from_json``."""
    converters = []
    for column in stmt.selected_columns:
        kind = column.type
        if isinstance(kind, UTCDateTime):
            converters.append(lambda text: datetime.fromisoformat(text).replace(tzinfo=timezone.utc))
        elif isinstance(kind, DateTime):
            converters.append(datetime.fromisoformat)
        elif isinstance(kind, Date):
            converters.append(date.fromisoformat)
        elif isinstance(kind, Boolean):
            converters.append(bool)
        elif isinstance(kind, (Numeric, Float)):  # as JSON gives the number, unless read as a decimal
            converters.append((lambda number: Decimal(str(number))) if kind.asdecimal else None)
        elif isinstance(kind, (Integer, String, Enum, JSON)):
            converters.append(None)
        else:
            raise TypeError(f"no reading back from JSON for a column of type {kind!r} ({column})")
    return namedtuple("Row", [column.key for column in stmt.selected_columns], rename=True), tuple(converters)


def plain_value(db: Session, stmt, params: dict | None = None):
    """The first column of the first row of ``stmt`` (None: no row), as ``plain_rows`` reads (a count, a sum)."""
    return _flushed_connection(db).scalar(stmt, params or {})


def _flushed_connection(db: Session):
    """The session's connection, its pending changes sent first unless inside ``no_autoflush`` (as the session
    does before its own queries)."""
    if db.autoflush:
        db.flush()
    return db.connection()


def rows_found(db: Session, model, ids_first, params: dict | None = None) -> list:
    """The objects of ``model`` whose ids ``ids_first`` selects (a statement built once, with its ``params``), in
    its order: a check that usually finds none (an open loan of a device, a reservation in the way) reads a
    narrow row instead of the wide one its eager loads make (a loan with its device, borrower and site); the
    rare rows found are then read whole."""
    ids = [row[0] for row in plain_rows(db, ids_first, params)]
    if not ids:
        return []
    found = {row.id: row for row in db.scalars(select(model).where(model.id.in_(ids)))}
    return [found[i] for i in ids]
