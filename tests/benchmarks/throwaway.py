"""A benchmark's throwaway database: a fresh PostgreSQL database on the given server (dropped afterwards), else a
SQLite file; the app's settings pointed at it and at a scratch data folder (removed afterwards)."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def throwaway_database(admin_url: str = "") -> Iterator[str]:
    """Yields the database URL; ``admin_url``: a PostgreSQL server URL ("" for SQLite)."""
    import sqlalchemy as sa

    workdir = Path(tempfile.mkdtemp(prefix="siimop-bench-"))
    pg_name = None
    if admin_url:
        pg_name = f"siimop_bench_{uuid.uuid4().hex[:10]}"
        admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{pg_name}"'))
        admin.dispose()
        url = sa.make_url(admin_url).set(database=pg_name).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{workdir / 'bench.db'}"
    os.environ["REFLEX_DB_URL"] = url
    os.environ["SIIMOP_DATA_DIR"] = str(workdir)
    os.environ["SIIMOP_SIGN_IN_MAX_REQUESTS"] = "1000"
    os.environ.pop("SIIMOP_SMTP_URL", None)

    from siimop_app.db import get_engine
    from siimop_app.settings import get_settings

    get_settings.cache_clear()
    try:
        yield url
    finally:
        get_engine().dispose()
        if pg_name:
            admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
            admin.dispose()
        shutil.rmtree(workdir, ignore_errors=True)  # the SQLite file and uploads: ~40 MB at national scale
