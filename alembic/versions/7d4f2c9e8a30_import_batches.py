"""import batches: the history of applied imports

Revision ID: 7d4f2c9e8a30
Revises: 5c1e0a7d2b11
Create Date: 2026-11-30 15:45:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '7d4f2c9e8a30'
down_revision: Union[str, Sequence[str], None] = '5c1e0a7d2b11'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'import_batch',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('actor_user_id', sa.Integer(), nullable=True),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('wave_id', sa.Integer(), nullable=True),
        sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('size_bytes', sa.Integer(), nullable=False),
        sa.Column('storage_key', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column('rows', sa.Integer(), nullable=False),
        sa.Column('new', sa.Integer(), nullable=False),
        sa.Column('changed', sa.Integer(), nullable=False),
        sa.Column('unchanged', sa.Integer(), nullable=False),
        sa.Column('absent', sa.Integer(), nullable=False),
        sa.Column('deactivated', sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN ('students', 'posts', 'staff')", name='ck_import_batch_kind'),
        sa.ForeignKeyConstraint(['actor_user_id'], ['app_user.id']),
        sa.ForeignKeyConstraint(['wave_id'], ['wave.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_import_batch_created_at'), 'import_batch', ['created_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_import_batch_created_at'), table_name='import_batch')
    op.drop_table('import_batch')
