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
    _ping_when_idle(engine, get_settings().db_ping_idle_seconds)
    return engine


def _ping_when_idle(engine: sa.Engine, idle_seconds: float) -> None:
    """Check a pooled connection before use only if it sat idle in the pool for ``idle_seconds`` or more.

    ``pool_pre_ping`` pinged on every checkout: one round trip more per transaction, two per ranking move
    (issue 13). A connection handed back a moment ago is as alive as the ping would say. One that sat idle,
    across a PostgreSQL restart say, is pinged: dead, the pool replaces it before the transaction starts. A
    recently used connection that died with the server fails its first statement instead; SQLAlchemy then
    replaces every connection of the pool, as the pre-ping's first failure did.
    """

    def stamp(_dbapi_connection, record, *_proxy) -> None:
        record.info["siimop_idle_since"] = time.monotonic()

    def ping_if_idle(dbapi_connection, record, _proxy) -> None:
        if time.monotonic() - record.info.get("siimop_idle_since", 0.0) < idle_seconds:
            return
        try:
            alive = engine.dialect._do_ping_w_event(dbapi_connection)
        except Exception as error:  # noqa: BLE001 (whatever the driver raises, the connection is unusable)
            raise sa.exc.DisconnectionError(f"ping failed: {error}") from error
        if not alive:
            raise sa.exc.DisconnectionError("ping failed: the server closed the connection")

    sa.event.listen(engine, "connect", stamp)
    sa.event.listen(engine, "checkin", stamp)
    sa.event.listen(engine, "checkout", ping_if_idle)


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
