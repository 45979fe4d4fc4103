"""The production command's checks and building blocks, without starting a server."""

from __future__ import annotations

import concurrent.futures

import pytest
import sqlalchemy as sa

from siimop_app import prod
from siimop_app.migrations import upgrade_to_head_exclusive
from siimop_app.web_security import DATABASE_UNAVAILABLE, backend_error
from tests.conftest import POSTGRES_URL, _create_postgres_database, _drop_postgres_database


def test_several_workers_without_redis_are_refused_in_french():
    with pytest.raises(SystemExit, match="demandent Redis"):
        prod.worker_count({"SIIMOP_WORKERS": "3"})
    assert prod.worker_count({}) == 1
    assert prod.worker_count({"REFLEX_REDIS_URL": "redis://127.0.0.1:6379/0"}) == 2
    assert prod.worker_count({"REFLEX_REDIS_URL": "redis://127.0.0.1:6379/0", "SIIMOP_WORKERS": "4"}) == 4


def test_the_workers_collect_garbage_less_often_and_a_malformed_setting_is_refused_in_french():
    assert prod.gc_thresholds({}) == (50000, 20, 20)
    assert prod.gc_thresholds({"SIIMOP_GC_THRESHOLD": "700,10,10"}) == (700, 10, 10)  # Python's own
    for wrong in ("beaucoup", "1,2,3,4", "-1"):
        with pytest.raises(SystemExit, match="SIIMOP_GC_THRESHOLD doit être"):
            prod.gc_thresholds({"SIIMOP_GC_THRESHOLD": wrong})


def test_the_workers_run_on_uvloop_unless_told_otherwise_and_a_malformed_setting_is_refused_in_french():
    assert prod.event_loop({}).value == "uvloop"
    assert prod.event_loop({"SIIMOP_EVENT_LOOP": "asyncio"}).value == "asyncio"
    with pytest.raises(SystemExit, match="SIIMOP_EVENT_LOOP doit être"):
        prod.event_loop({"SIIMOP_EVENT_LOOP": "rapide"})


def test_the_public_address_defaults_everywhere_and_a_new_one_rebuilds_the_frontend(monkeypatch):
    monkeypatch.setenv("SIIMOP_BASE_URL", "https://appariement.example.fr/")
    for name in ("REFLEX_API_URL", "REFLEX_DEPLOY_URL", "REFLEX_WEB_WORKDIR"):
        monkeypatch.delenv(name, raising=False)
    env = prod.production_environment()
    assert env["REFLEX_API_URL"] == env["REFLEX_DEPLOY_URL"] == "https://appariement.example.fr"
    assert env["REFLEX_WEB_WORKDIR"] == ".web-prod" and env["REFLEX_ENV_MODE"] == "prod"
    assert prod._build_fingerprint(env) == prod._build_fingerprint(dict(env))
    assert prod._build_fingerprint(env) != prod._build_fingerprint({**env, "REFLEX_API_URL": "https://autre.fr"})


def test_with_redis_a_worker_keeps_a_clients_state_between_its_events_unless_told_otherwise(monkeypatch):
    """Reflex's opportunistic lock: the worker that served an event keeps the state a few seconds instead of
    reading and writing Redis on every event (the 300-supervisor figures in the README depend on it); and a
    bounded Redis pool per worker."""
    for name in ("REFLEX_REDIS_URL", "REFLEX_OPLOCK_ENABLED", "REFLEX_REDIS_MAX_CONNECTIONS"):
        monkeypatch.delenv(name, raising=False)
    assert "REFLEX_OPLOCK_ENABLED" not in prod.production_environment()  # one worker: states stay in memory
    monkeypatch.setenv("REFLEX_REDIS_URL", "redis://127.0.0.1:6379/5")
    env = prod.production_environment()
    assert env["REFLEX_OPLOCK_ENABLED"] == "true" and env["REFLEX_REDIS_MAX_CONNECTIONS"] == "128"
    monkeypatch.setenv("REFLEX_OPLOCK_ENABLED", "false")
    assert prod.production_environment()["REFLEX_OPLOCK_ENABLED"] == "false"


def test_passwords_never_reach_the_log():
    assert prod._redact("postgresql+psycopg://siimop:SECRET@db:5432/siimop") == "postgresql+psycopg://siimop:***@db:5432/siimop"
    assert prod._redact("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"


def test_a_database_outage_during_an_event_says_so_in_french():
    import redis.exceptions

    for error in (sa.exc.OperationalError("SELECT 1", {}, Exception("connection refused")),
                  redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379. connection refused")):
        event = backend_error(error)
        assert DATABASE_UNAVAILABLE in str(event)
        assert "connection refused" not in str(event)


@pytest.mark.skipif(not POSTGRES_URL, reason="needs SIIMOP_TEST_POSTGRES_URL")
def test_machines_starting_together_migrate_once():
    name, url = _create_postgres_database()
    try:
        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            list(pool.map(lambda _: upgrade_to_head_exclusive(url), range(3)))
        engine = sa.create_engine(url)
        with engine.connect() as connection:
            versions = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
        engine.dispose()
        assert len(versions) == 1
    finally:
        _drop_postgres_database(name)
