"""Shared fixtures: a freshly migrated database per test module, on SQLite and on PostgreSQL.

Service tests take the ``db_url`` fixture. It runs on a throwaway SQLite file, and
also on a throwaway PostgreSQL database when ``SIIMOP_TEST_POSTGRES_URL`` is set
(e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``): a database named
``siimop_test_<random>`` is created on that server and dropped afterwards.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import settings

from siimop_app.db import get_engine
from siimop_app.migrations import upgrade_to_head
from siimop_app.settings import get_settings

# No engine warm-up in tests (nor in the apps and tools they start, which inherit this): it would solve rounds
# behind the tests' backs; a test that wants it calls services.warm_up itself.
os.environ["SIIMOP_WARM_DRY_RUN"] = "0"
# Nor the workers' garbage-collection pause log: the app served in process would log the test runner's own
# collections (seconds long at the end of a run, with the whole suite in memory) as a worker's; worker_memory's
# tests install it themselves.
os.environ["SIIMOP_GC_PAUSE_LOG_MS"] = "0"

# Speed is measured by the benchmarks, never asserted (README): no per-example deadline, which a busy machine (the
# two test processes of .ci/run side by side) would turn into failures.
settings.register_profile("siimop", deadline=None)
settings.load_profile("siimop")

POSTGRES_URL = os.environ.get("SIIMOP_TEST_POSTGRES_URL", "").strip()
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def _postgres_admin() -> sa.Engine:
    return sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")


def _postgres_url(name: str) -> str:
    return sa.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def _create_postgres_database(template: str | None = None) -> tuple[str, str]:
    """A new database on the test server (empty, or a copy of ``template``): (its name, its URL)."""
    name = f"siimop_test_{uuid.uuid4().hex[:12]}"
    admin = _postgres_admin()
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    admin.dispose()
    return name, _postgres_url(name)


def _drop_postgres_database(name: str) -> None:
    admin = _postgres_admin()
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# Tests that share one thing a second test process would disturb run one after the other in the same process when
# .ci/run runs the suite in two (pytest-xdist, ``--dist loadgroup``): the browser tests (one app build in .web,
# Chromium), the production command's (.web-prod, its ports, Redis database 5), the benchmarks' quick runs (seven
# processes at once) and the worker-balance test (Redis database 5). The rest is spread test by test. Grouped by
# path here rather than by xdist_group marks: xdist 3.8 renames a marked test's node id through an attribute that
# pytest 9.2 no longer reads, so its own loadgroup spreads marked tests anyway.
SERIAL_TESTS = ("tests/e2e/", "tests/prod/", "tests/test_benchmarks_quick.py", "tests/test_worker_balance.py")


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SerialGroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return "serial" if nodeid.startswith(SERIAL_TESTS) else nodeid

    return SerialGroupScheduling(config, log)


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory) -> Iterator[dict[str, str]]:
    """One database per backend migrated to head once per run; each test gets a copy of it.

    Migrating (schema plus the national reference data) costs about half a second a test on SQLite; copying the
    file costs a few milliseconds, ``CREATE DATABASE … TEMPLATE`` about a tenth of a second. ``tests/services/test_schema.py`` still
    runs the migrations themselves on empty databases."""
    templates: dict[str, str] = {}
    folder = tmp_path_factory.mktemp("template")
    pg_template = None
    try:
        templates["sqlite"] = str(folder / "siimop.db")
        url = f"sqlite:///{templates['sqlite']}"
        upgrade_to_head(url)
        get_engine(url).dispose()
        if POSTGRES_URL:
            pg_template, template_url = _create_postgres_database()
            upgrade_to_head(template_url)
            get_engine(template_url).dispose()
            templates["postgresql"] = pg_template
        yield templates
    finally:
        if pg_template:
            _drop_postgres_database(pg_template)


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, migrated_templates) -> Iterator[str]:
    """A migrated, empty database (a copy of the run's migrated template), configured as the app's database."""
    pg_name = None
    if request.param == "postgresql":
        pg_name, url = _create_postgres_database(template=migrated_templates["postgresql"])
    else:
        target = tmp_path / "siimop.db"
        shutil.copyfile(migrated_templates["sqlite"], target)
        url = f"sqlite:///{target}"
    monkeypatch.setenv("REFLEX_DB_URL", url)
    monkeypatch.setenv("SIIMOP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("SIIMOP_SMTP_URL", raising=False)
    monkeypatch.delenv("SIIMOP_TODAY", raising=False)
    get_settings.cache_clear()
    try:
        yield url
    finally:
        # A test that started the real mail sender thread (an in-process app's lifespan task) has it stopped before
        # its database goes: left running, it read the next tests' databases and logged "no such table:
        # outbox_mail" into another test's log capture once the suite ran in two processes.
        from siimop_app.services import outbox as outbox_service

        outbox_service.stop_sender()
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


@pytest.fixture(scope="session", autouse=True)
def no_mail_sender_after_the_run():
    """A mail sender thread started by an in-process app outlives the test databases it read: stopped with the run,
    it no longer logs "no such table: outbox_mail" tracebacks after pytest's summary (seen in CI)."""
    yield
    from siimop_app.services import outbox

    outbox.stop_sender()
