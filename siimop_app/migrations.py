"""Bring a database up to date with the project's Alembic migrations (``alembic/``).

``reflex db migrate`` does the same from the command line; the demo generator and
the tests call this so that they always run on the migrated schema, never on
``create_all``.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from siimop_app.settings import PROJECT_ROOT, get_settings, prepare_sqlite_folder


def alembic_config(url: str | None = None) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    config.set_main_option("sqlalchemy.url", (url or get_settings().database_url).replace("%", "%%"))
    config.attributes["configure_logger"] = False
    return config


def upgrade_to_head(url: str | None = None) -> None:
    url = url or get_settings().database_url
    prepare_sqlite_folder(url)
    command.upgrade(alembic_config(url), "head")


# Any constant shared by every machine of a deployment: the key of the advisory lock taken while migrating.
_MIGRATION_LOCK_KEY = 0x5117_0D0B


def upgrade_to_head_exclusive(url: str | None = None) -> None:
    """``upgrade_to_head``, one process at a time on PostgreSQL: several machines starting together would otherwise
    race to apply the same migration (Alembic itself takes no lock)."""
    import sqlalchemy as sa

    url = url or get_settings().database_url
    if not url.startswith("postgresql"):
        upgrade_to_head(url)
        return
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
            try:
                upgrade_to_head(url)
            finally:
                connection.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": _MIGRATION_LOCK_KEY})
    finally:
        engine.dispose()
