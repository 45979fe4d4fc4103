"""support desk: ticket workflow, private follow link, thread; ticket attachments without an account

Revision ID: 5b1e7c2d9a40
Revises: 5c1e0d7a9b21
Create Date: 2026-11-30 16:30:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel

# revision identifiers, used by Alembic.
revision: str = '5b1e7c2d9a40'
down_revision: Union[str, Sequence[str], None] = '5c1e0d7a9b21'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

NEW_STATUSES = "status IN ('new', 'in_progress', 'waiting_user', 'resolved')"
OLD_STATUSES = "status IN ('open', 'closed')"


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('support_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('author_user_id', sa.Integer(), nullable=True),
    sa.Column('from_requester', sa.Boolean(), nullable=False),
    sa.Column('internal', sa.Boolean(), nullable=False),
    sa.Column('body', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['author_user_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['ticket_id'], ['support_ticket.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('support_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_message_ticket_id'), ['ticket_id'], unique=False)

    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.alter_column('owner_user_id', existing_type=sa.Integer(), nullable=True)

    # The old statuses map onto the new workflow: an open ticket is new, a closed one resolved.
    with op.batch_alter_table('support_ticket', schema=None) as batch_op:
        batch_op.drop_constraint('ck_ticket_status', type_='check')
        batch_op.alter_column('status', existing_type=sqlmodel.sql.sqltypes.AutoString(length=10),
                              type_=sqlmodel.sql.sqltypes.AutoString(length=20))
        batch_op.add_column(sa.Column('follow_secret_hash', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True))
        batch_op.add_column(sa.Column('confirmed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('requester_ip_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('assigned_user_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('escalated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('first_answer_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.create_foreign_key('fk_support_ticket_assigned_user_id', 'app_user', ['assigned_user_id'], ['id'])
    op.execute("UPDATE support_ticket SET status = CASE status WHEN 'closed' THEN 'resolved' ELSE 'new' END, "
               "confirmed_at = created_at")
    with op.batch_alter_table('support_ticket', schema=None) as batch_op:
        batch_op.create_check_constraint('ck_ticket_status', NEW_STATUSES)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('support_ticket', schema=None) as batch_op:
        batch_op.drop_constraint('ck_ticket_status', type_='check')
    op.execute("UPDATE support_ticket SET status = CASE status WHEN 'resolved' THEN 'closed' ELSE 'open' END")
    with op.batch_alter_table('support_ticket', schema=None) as batch_op:
        batch_op.drop_constraint('fk_support_ticket_assigned_user_id', type_='foreignkey')
        for column in ('updated_at', 'first_answer_at', 'escalated_at', 'assigned_user_id', 'requester_ip_sha256',
                       'confirmed_at', 'follow_secret_hash'):
            batch_op.drop_column(column)
        batch_op.alter_column('status', existing_type=sqlmodel.sql.sqltypes.AutoString(length=20),
                              type_=sqlmodel.sql.sqltypes.AutoString(length=10))
        batch_op.create_check_constraint('ck_ticket_status', OLD_STATUSES)
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.alter_column('owner_user_id', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('support_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_message_ticket_id'))
    op.drop_table('support_message')
