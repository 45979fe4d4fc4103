"""pending secondary addresses kept apart from user_email (no account enumeration from Mon profil)

Revision ID: 6a2f9c3e1d57
Revises: 6a2f0c4e8b13
Create Date: 2026-11-30 19:20:00

Links still open are carried over with their ids and secret hashes (a link already mailed keeps working); the
unvalidated secondary rows of ``user_email`` and the ``email_validation`` table go.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel

# revision identifiers, used by Alembic.
revision: str = '6a2f9c3e1d57'
down_revision: Union[str, Sequence[str], None] = '6a2f0c4e8b13'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('pending_email',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('secret_hash', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('used_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.CheckConstraint("kind IN ('personal', 'professional')", name='ck_pending_email_kind'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('pending_email', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_email_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_pending_email_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_pending_email_user_id'), ['user_id'], unique=False)

    op.execute(
        "INSERT INTO pending_email (id, user_id, email, kind, secret_hash, created_at, expires_at, used_at) "
        "SELECT v.id, e.user_id, e.email, e.kind, v.secret_hash, v.created_at, v.expires_at, v.used_at "
        "FROM email_validation v JOIN user_email e ON e.id = v.user_email_id "
        "WHERE e.validated_at IS NULL AND e.kind IN ('personal', 'professional')"
    )
    if op.get_bind().dialect.name == "postgresql":
        # Rows were inserted with their ids: move the sequence past them.
        op.execute("SELECT setval(pg_get_serial_sequence('pending_email', 'id'), "
                   "COALESCE((SELECT MAX(id) FROM pending_email), 0) + 1, false)")
    with op.batch_alter_table('email_validation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_email_validation_user_email_id'))
    op.drop_table('email_validation')
    op.execute("DELETE FROM user_email WHERE validated_at IS NULL AND kind IN ('personal', 'professional')")


def downgrade() -> None:
    """Downgrade schema (pending addresses are dropped: their owners add them again)."""
    op.create_table('email_validation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_email_id', sa.Integer(), nullable=False),
    sa.Column('secret_hash', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('used_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_email_id'], ['user_email.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('email_validation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_email_validation_user_email_id'), ['user_email_id'], unique=False)
    with op.batch_alter_table('pending_email', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_email_user_id'))
        batch_op.drop_index(batch_op.f('ix_pending_email_email'))
        batch_op.drop_index(batch_op.f('ix_pending_email_created_at'))
    op.drop_table('pending_email')
