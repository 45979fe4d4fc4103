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
    sa.event.listen(engine.pool, "checkout", functools.partial(_ping_if_idle, engine.dialect))
    return engine


# A pooled connection is pinged before use only after it sat idle this long: pinging at every checkout
# (``pool_pre_ping``) cost a round trip per transaction, three per ranking move (issue 13). A connection in
# steady use needs none: when PostgreSQL restarts, the first statement that fails on a dead connection marks
# every connection of the pool as stale (SQLAlchemy's disconnect handling), so only statements in flight during
# the restart fail, with the French "indisponible" message; a pool that was idle through the restart is pinged.
PING_AFTER_IDLE_SECONDS = 1.0


def _note_checkin(_dbapi_connection, record) -> None:
    record.info["checked_in_at"] = time.monotonic()


def _ping_if_idle(dialect, dbapi_connection, record, _proxy) -> None:
    checked_in_at = record.info.get("checked_in_at")
    if checked_in_at is None or time.monotonic() - checked_in_at < PING_AFTER_IDLE_SECONDS:
        return
    try:
        dialect.do_ping(dbapi_connection)
    except Exception as exc:  # the pool drops this connection and checks out another (a new one if need be)
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
                return connection.execution_options(isolation_level="AUTOCOMMIT").execute(statement, params).all()
        except sa.exc.DBAPIError as exc:
            if attempt == 2 or not exc.connection_invalidated:
                raise
    raise AssertionError("unreachable")
