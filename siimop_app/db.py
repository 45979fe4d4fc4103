"""The database engine and the one way services open a transaction.

Services never import Reflex: they take their engine from here, built from the
same URL Reflex uses (``REFLEX_DB_URL``), so a CLI, a benchmark or a test calls
them directly.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Iterator
from typing import NamedTuple

import sqlalchemy as sa
from sqlmodel import Session

from siimop_app import models  # noqa: F401  (registers every table)
from siimop_app.settings import get_settings, prepare_sqlite_folder


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # Foreign keys are off by default in SQLite; WAL lets readers work during a write;
    # busy_timeout makes concurrent writers wait instead of failing at once.
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()
    # SQLite's own lower()/upper() only fold ASCII: a search for "émilie" would miss "ÉMILIE". Python's fold
    # every letter, as PostgreSQL's do, so text filters behave the same on both databases.
    dbapi_connection.create_function("lower", 1, _fold(str.lower), deterministic=True)
    dbapi_connection.create_function("upper", 1, _fold(str.upper), deterministic=True)


def _fold(method):
    return lambda value: method(value) if isinstance(value, str) else value


def get_engine(url: str | None = None) -> sa.Engine:
    """The engine of ``url`` (default: the configured database), one per URL for the process."""
    return _engine_for(url or get_settings().database_url)


@functools.cache
def _engine_for(url: str) -> sa.Engine:
    if url.startswith("sqlite"):
        prepare_sqlite_folder(url)
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = sa.create_engine(url, pool_size=10, max_overflow=20)
    sa.event.listen(engine.pool, "checkin", _note_checkin)
    sa.event.listen(engine.pool, "checkout", functools.partial(_ping_if_idle, engine.dialect, _DeadSeen()))
    return engine


# A pooled connection is pinged before use only after it sat idle this long: pinging at every checkout
# (``pool_pre_ping``) cost a round trip per transaction, three per ranking move (issue 13). A connection in
# steady use needs none: when PostgreSQL restarts, the first statement that fails on a dead connection marks
# every connection of the pool as stale (SQLAlchemy's disconnect handling), so only statements in flight during
# the restart fail, with the French "indisponible" message; a pool that was idle through the restart is pinged.
# A ping that finds a dead connection drops that one only (SQLAlchemy's checkout handling), so it also has every
# connection given back before it pinged at its next checkout: after a restart quicker than a second, a connection
# used just before it would otherwise reach a move's transaction dead (seen in CI: the first move after the
# restart got the "indisponible" message).
PING_AFTER_IDLE_SECONDS = 1.0


class _DeadSeen:
    """When the pool's idle ping last found a dead connection (``time.monotonic()``)."""

    at = float("-inf")


def _note_checkin(_dbapi_connection, record) -> None:
    record.info["checked_in_at"] = time.monotonic()


def _ping_if_idle(dialect, dead_seen: _DeadSeen, dbapi_connection, record, _proxy) -> None:
    checked_in_at = record.info.get("checked_in_at")
    now = time.monotonic()
    if checked_in_at is None or (now - checked_in_at < PING_AFTER_IDLE_SECONDS and checked_in_at > dead_seen.at):
        return
    try:
        dialect.do_ping(dbapi_connection)
    except Exception as exc:  # the pool drops this connection and checks out another (a new one if need be)
        dead_seen.at = now
        raise sa.exc.DisconnectionError(f"stale connection: {exc}") from exc


@contextlib.contextmanager
def transaction(url: str | None = None) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on any error.

    Objects stay readable after commit (``expire_on_commit=False``) so services can
    return plain data built from them.
    """
    session = Session(get_engine(url), expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# ------------------------------------------------------------------ the hot path on PostgreSQL
# Under load most of a worker's time in a ranking move went to SQLAlchemy's execution machinery around each
# statement (compiled-cache lookup, execution context, result wrapping: ~90 µs of ~200 µs per small statement,
# issue 13), not to the database. The statements every event runs are built once at import; ``hot`` marks them,
# and on PostgreSQL ``hot_transaction`` and ``read_rows`` run them on the driver's cursor with their SQL compiled
# once, and SQLAlchemy's conversions of their parameters and columns applied as its own path does. Anything else
# (a statement built per call, one with Python-side defaults or a list parameter) goes through SQLAlchemy in the
# same transaction. SQLite (one worker, development) always takes SQLAlchemy's path.
_HOT: dict[int, tuple[sa.Executable, dict]] = {}


def hot(statement: sa.Executable) -> sa.Executable:
    """Mark a statement built once (a module constant) as one the hot path runs on the driver's cursor."""
    _HOT[id(statement)] = (statement, {})
    return statement


class _Plan(NamedTuple):
    sql: str
    defaults: dict  # the values bound in the statement itself (``hearts > 0``)
    converts: tuple  # (parameter, SQLAlchemy's conversion of it), as its own path applies them
    loads: tuple | None  # per column, SQLAlchemy's conversion of the value read (or None); None if none has one


def _plan(statement: sa.Executable, dialect, keys: frozenset) -> _Plan | None:
    """The statement's SQL for ``dialect`` and the parameter names ``keys``, compiled once, with the conversions
    SQLAlchemy applies to its parameters and columns (``UTCDateTime``); None for a statement not marked ``hot``,
    or one that needs more of SQLAlchemy: a Python-side default, a list parameter (``IN``)."""
    entry = _HOT.get(id(statement))
    if entry is None or entry[0] is not statement or dialect.name != "postgresql":
        return None
    plans = entry[1]
    if keys not in plans:
        compiled = statement.compile(dialect=dialect, column_keys=sorted(keys))
        plain = (not compiled.insert_prefetch and not compiled.update_prefetch
                 and not any(bind.expanding for bind in compiled.binds.values()))
        loads = tuple(column.type._cached_result_processor(dialect, None) for column in compiled._result_columns)
        plans[keys] = _Plan(str(compiled), dict(compiled.params), tuple(compiled._bind_processors.items()),
                           loads if any(loads) else None) if plain else None
    return plans[keys]


def _values(plan: _Plan, params: dict | None) -> dict:
    values = {**plan.defaults, **(params or {})}
    for name, convert in plan.converts:
        if name in values:
            values[name] = convert(values[name])
    return values


class _Rows:
    """What the hot path's callers read of a result: ``all``, ``first``, ``one``, ``scalar_one[_or_none]``."""

    __slots__ = ("rows",)

    def __init__(self, rows: list) -> None:
        self.rows = rows

    def all(self) -> list:
        return self.rows

    def __iter__(self):
        return iter(self.rows)

    def first(self):
        return self.rows[0] if self.rows else None

    def one(self):
        if len(self.rows) != 1:
            raise sa.exc.NoResultFound("No row was found") if not self.rows else sa.exc.MultipleResultsFound(
                "Multiple rows were found when exactly one was required")
        return self.rows[0]

    def one_or_none(self):
        if len(self.rows) > 1:
            self.one()
        return self.rows[0] if self.rows else None

    def scalar_one(self):
        return self.one()[0]

    def scalar_one_or_none(self):
        row = self.one_or_none()
        return None if row is None else row[0]


class HotSession:
    """A transaction on one pooled connection: ``execute`` as a Session's, hot statements on the driver's cursor.

    Errors are SQLAlchemy's (``_handle_dbapi_exception``): a connection lost with the database invalidates the
    pool exactly as on SQLAlchemy's path, so the fault handling above and the French messages stay the same."""

    def __init__(self, connection: sa.Connection) -> None:
        from psycopg.rows import namedtuple_row

        self.connection = connection
        self._cursor = connection.connection.driver_connection.cursor(row_factory=namedtuple_row)

    def execute(self, statement: sa.Executable, params=None):
        many = isinstance(params, list)
        keys = frozenset(params[0] if many else params or ())
        plan = _plan(statement, self.connection.dialect, keys)
        if plan is None:
            return self.connection.execute(statement, params)
        values = [_values(plan, row) for row in params] if many else _values(plan, params)
        return _Rows(_run(self.connection, self._cursor, plan, values, many))


def _run(connection: sa.Connection, cursor, plan: _Plan, values, many: bool) -> list:
    for listener in connection.dispatch.before_cursor_execute:  # the tests' and benchmarks' statement counters
        listener(connection, cursor, plan.sql, values, None, many)
    try:
        if many:
            cursor.executemany(plan.sql, values)
            return []
        cursor.execute(plan.sql, values)
        rows = cursor.fetchall() if cursor.description is not None else []
    except connection.dialect.loaded_dbapi.Error as exc:
        connection._handle_dbapi_exception(exc, plan.sql, values, cursor, None)
    if plan.loads is None or not rows:
        return rows
    make = type(rows[0])._make
    return [make(load(value) if load else value for load, value in zip(plan.loads, row)) for row in rows]


@contextlib.contextmanager
def hot_transaction(url: str | None = None) -> Iterator[Session | HotSession]:
    """``transaction()`` for the hot path: on PostgreSQL a ``HotSession`` (``execute`` only, no ORM objects),
    committed on success and rolled back on any error; elsewhere ``transaction()`` itself."""
    engine = get_engine(url)
    if engine.dialect.name != "postgresql":
        with transaction(url) as session:
            yield session
        return
    with engine.begin() as connection:  # begun: its commit is the driver's commit, raw statements included
        yield HotSession(connection)


def read_rows(statement: sa.Executable, params: dict | None = None, url: str | None = None) -> list[sa.Row]:
    """The rows of one read statement, for the reads every event makes (the session check, the calendar).

    It runs in autocommit: PostgreSQL gets neither BEGIN nor COMMIT, two of the three round trips such a read
    cost inside ``transaction()``. Never for a write, nor for several reads that must agree (each statement
    sees its own snapshot). When the pooled connection died with the database (restarted), the read is made
    again once on a fresh connection: it changed nothing, and its failure marked every older connection of the
    pool stale, so the rest of the event gets fresh ones too and the person sees no error.
    """
    for attempt in (1, 2):
        try:
            with get_engine(url).connect() as connection:
                plan = _plan(statement, connection.dialect, frozenset(params or ()))
                if plan is None:
                    return connection.execution_options(isolation_level="AUTOCOMMIT").execute(statement, params).all()
                return _read_on_cursor(connection, plan, params)
        except sa.exc.DBAPIError as exc:
            if attempt == 2 or not exc.connection_invalidated:
                raise
    raise AssertionError("unreachable")


def _read_on_cursor(connection: sa.Connection, plan: _Plan, params: dict | None) -> list:
    """``read_rows`` on the driver's cursor, in autocommit as on SQLAlchemy's path (no BEGIN, no COMMIT)."""
    from psycopg.rows import namedtuple_row

    driver = connection.connection.driver_connection
    driver.autocommit = True
    try:
        return _run(connection, driver.cursor(row_factory=namedtuple_row), plan, _values(plan, params), False)
    finally:
        if not driver.closed:
            driver.autocommit = False
