"""Pooled PostgreSQL connections that died with the server (a restart): the next event's reads and transactions
get fresh ones, and the person sees no error (issue 13, item 4). A restart is played by ending every server
process of the test's database from another connection, as a restart ends them."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from siimop_app import db
from siimop_app.db import get_engine, read_rows, transaction
from tests.conftest import BACKENDS, POSTGRES_URL


def _end_every_connection_to(url: str) -> int:
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            return len(connection.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name AND pid <> pg_backend_pid()"),
                {"name": sa.make_url(url).database}).all())
    finally:
        admin.dispose()


# A server restart only concerns PostgreSQL: these tests take the PostgreSQL database alone (none without
# SIIMOP_TEST_POSTGRES_URL, which CI sets).
postgresql_only = pytest.mark.parametrize("db_url", BACKENDS[1:], indirect=True)


def _warm_pool(connections: int = 3) -> None:
    """Connections in the pool, as a worker has after serving: several checked out at once, then given back."""
    engine = get_engine()
    held = [engine.connect() for _ in range(connections)]
    for connection in held:
        connection.execute(sa.text("SELECT 1"))
    for connection in held:
        connection.close()


@postgresql_only
def test_reads_every_event_makes_survive_connections_lost_a_moment_ago(db_url):
    _warm_pool()
    assert _end_every_connection_to(db_url) >= 3
    # Used a moment ago, so not pinged: the read fails on a dead connection, is made again on a fresh one.
    assert read_rows(sa.text("SELECT 41 + 1")) == [(42,)]
    # That failure marked the pool's older connections stale: the event's transaction gets a fresh one too.
    with transaction() as session:
        assert session.execute(sa.text("SELECT 1")).scalar_one() == 1


@postgresql_only
def test_a_connection_idle_through_a_restart_is_pinged_and_replaced_before_use(db_url):
    _warm_pool(1)
    assert _end_every_connection_to(db_url) >= 1
    time.sleep(db.PING_AFTER_IDLE_SECONDS + 0.1)
    # Not a read that could be retried: a transaction, whose first statement must not meet a dead connection.
    with transaction() as session:
        assert session.execute(sa.text("SELECT 1")).scalar_one() == 1


@postgresql_only
def test_after_a_quick_restart_a_connection_used_a_moment_before_is_pinged_once_another_was_found_dead(db_url):
    engine = get_engine()
    _warm_pool(2)
    time.sleep(db.PING_AFTER_IDLE_SECONDS + 0.1)
    with engine.connect() as connection:  # the first (pinged: idle) serves an event just before the restart
        connection.execute(sa.text("SELECT 1"))
    assert _end_every_connection_to(db_url) >= 2
    # The next event: the second, idle for a while, is pinged, found dead and replaced...
    with engine.connect() as connection:
        connection.execute(sa.text("SELECT 1"))
        # ...and a transaction of the same moment gets the first, used less than a second ago: pinged too.
        with transaction() as session:
            assert session.execute(sa.text("SELECT 1")).scalar_one() == 1


def test_a_read_in_autocommit_leaves_no_transaction_open(db_url):
    assert read_rows(sa.text("SELECT 1")) == [(1,)]
    with get_engine().connect() as connection:  # the same pooled connection, given back as it was taken
        assert not connection.in_transaction()
        if db_url.startswith("postgresql"):
            assert connection.execute(sa.text("SHOW transaction_isolation")).scalar_one() == "read committed"


# ------------------------------------------------------------------ the hot path on the driver's cursor
_PLUS_ONE = db.hot(sa.select(sa.bindparam("n", type_=sa.Integer) + 1))


def _runs_on_the_cursor(statement, keys=()) -> bool:
    return db._plan(statement, get_engine().dialect, frozenset(keys)) is not None


@postgresql_only
def test_the_session_check_reads_on_the_cursor_what_sqlalchemy_reads(db_url):
    from siimop_app.services import auth
    from tests.services.factories import make_user
    from tests.services.test_documents_and_post_detail import cookie_for

    make_user("rts@chu-amiens.fr", "supervisor", "coordinator")
    session_id = int(cookie_for("rts@chu-amiens.fr").split(".", 1)[0])
    assert _runs_on_the_cursor(auth._SESSION_AND_USER, ["session_id"])
    with get_engine().connect() as connection:
        by_sqlalchemy = [tuple(row) for row in connection.execute(auth._SESSION_AND_USER, {"session_id": session_id})]
    on_the_cursor = [tuple(row) for row in read_rows(auth._SESSION_AND_USER, {"session_id": session_id})]
    assert on_the_cursor == by_sqlalchemy
    expires_at = on_the_cursor[0][2]
    assert expires_at.utcoffset() is not None and expires_at.tzinfo == by_sqlalchemy[0][2].tzinfo  # UTCDateTime's


@postgresql_only
def test_reads_on_the_cursor_survive_connections_lost_a_moment_ago(db_url):
    assert _runs_on_the_cursor(_PLUS_ONE, ["n"])
    _warm_pool()
    assert _end_every_connection_to(db_url) >= 3
    assert read_rows(_PLUS_ONE, {"n": 41}) == [(42,)]
    with db.hot_transaction() as session:  # the failure marked the older connections stale: a fresh one
        assert session.execute(_PLUS_ONE, {"n": 1}).scalar_one() == 2


@postgresql_only
def test_a_hot_transaction_that_fails_writes_nothing_and_one_that_ends_commits(db_url):
    from siimop_app.models import AuditEntry
    from siimop_app.services import audit

    def count() -> int:
        with transaction() as session:
            return session.execute(sa.select(sa.func.count()).select_from(AuditEntry)).scalar_one()

    before = count()
    with pytest.raises(RuntimeError):
        with db.hot_transaction() as session:
            assert isinstance(session, db.HotSession)
            audit.record(session, actor_user_id=None, action="test.hot", entity="test", entity_id=1)
            raise RuntimeError("the move is refused after its first write")
    assert count() == before
    with db.hot_transaction() as session:
        audit.record(session, actor_user_id=None, action="test.hot", entity="test", entity_id=2)
    assert count() == before + 1
