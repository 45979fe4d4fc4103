"""Shared fixtures: a freshly migrated database per test module, on SQLite and on PostgreSQL.

Service tests take the ``db_url`` fixture. It runs on a throwaway SQLite file, and
also on a throwaway PostgreSQL database when ``SIIMOP_TEST_POSTGRES_URL`` is set
(e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``): a database named
``siimop_test_<random>`` is created on that server and dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from siimop_app.db import get_engine
from siimop_app.migrations import upgrade_to_head
from siimop_app.settings import get_settings

POSTGRES_URL = os.environ.get("SIIMOP_TEST_POSTGRES_URL", "").strip()
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def _create_postgres_database() -> tuple[str, str]:
    name = f"siimop_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, sa.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def _drop_postgres_database(name: str) -> None:
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated, empty database, configured as the app's database for this test."""
    pg_name = None
    if request.param == "postgresql":
        pg_name, url = _create_postgres_database()
    else:
        url = f"sqlite:///{tmp_path / 'siimop.db'}"
    monkeypatch.setenv("REFLEX_DB_URL", url)
    monkeypatch.setenv("SIIMOP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("SIIMOP_SMTP_URL", raising=False)
    monkeypatch.delenv("SIIMOP_TODAY", raising=False)
    get_settings.cache_clear()
    upgrade_to_head(url)
    try:
        yield url
    finally:
        get_engine(url).dispose()
        get_settings.cache_clear()
        if pg_name:
            _drop_postgres_database(pg_name)


@pytest.fixture
def outbox(db_url: str) -> Path:
    return get_settings().outbox_dir


@pytest.fixture(autouse=True)
def sign_in_mail_inline(request, monkeypatch):
    """Service and state tests read the outbox right after asking for a link: run the background mail job inline.
    End-to-end tests keep the real background worker (they wait for the mail)."""
    if "e2e" not in request.node.path.parts:
        from siimop_app.services import auth

        monkeypatch.setattr(auth, "_dispatch", lambda job, *args: job(*args))


@pytest.fixture(autouse=True)
def outbox_inline(request, monkeypatch):
    """Outside end-to-end tests, the outbox delivers right after the commit that queued a mail, in the test's thread
    (as the sender thread would a moment later), so a test reads its mail at once."""
    if "e2e" not in request.node.path.parts:
        from siimop_app.services import outbox

        monkeypatch.setattr(outbox, "_wake", lambda: outbox.deliver_due())
