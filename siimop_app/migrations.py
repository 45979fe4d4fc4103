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
