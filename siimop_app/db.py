"""The database engine and the one way services open a transaction.

Services never import Reflex: they take their engine from here, built from the
same URL Reflex uses (``REFLEX_DB_URL``), so a CLI, a benchmark or a test calls
them directly.
"""

from __future__ import annotations

import contextlib
import functools
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
    return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


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
