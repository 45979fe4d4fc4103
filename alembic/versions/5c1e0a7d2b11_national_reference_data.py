"""national reference data: regions, subdivisions, DES specialties and their options

A data migration: a new database gets the national reference data from ``reflex db migrate``.
It calls the idempotent loader, so it is harmless on a database that already has these rows.

Revision ID: 5c1e0a7d2b11
Revises: a792a30dda0a
Create Date: 2026-11-30 15:30:00
"""
from typing import Sequence, Union

from alembic import op

revision: str = '5c1e0a7d2b11'
down_revision: Union[str, Sequence[str], None] = 'a792a30dda0a'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    from siimop_app.reference import load_national_reference

    load_national_reference(op.get_bind())


def downgrade() -> None:
    # Campaign rows point at the reference data: it stays (the loader never deletes either).
    pass
