"""The Alembic migration creates exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from siimop_app.db import get_engine


def test_migration_matches_the_models(db_url):
    with get_engine(db_url).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_every_table_exists_with_its_filter_indexes(db_url):
    inspector = sa.inspect(get_engine(db_url))
    tables = set(inspector.get_table_names())
    assert set(SQLModel.metadata.tables) <= tables
    post_indexes = {tuple(ix["column_names"]) for ix in inspector.get_indexes("post")}
    assert ("wave_id", "calling_specialty_id", "subdivision_id") in post_indexes
    student_indexes = {tuple(ix["column_names"]) for ix in inspector.get_indexes("student")}
    assert ("subdivision_id", "specialty_id") in student_indexes
