"""calendar_version: one row that database triggers change with every change to the calendar (issue 13)

Revision ID: 8b3d1f6a2c90
Revises: 6a2f9c3e1d57
Create Date: 2026-12-02 11:30:00

Each event reads the version with its session check; a worker reads the calendar itself again only when the
version differs from the one it read last (``services.calendar``). Triggers rather than the services: every
writer is covered, the manager's calendar pages, the demo, an import or a hand-made fix in ``psql``, and the
version changes in the same transaction as the calendar, so no event can see one without the other.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = '8b3d1f6a2c90'
down_revision: Union[str, Sequence[str], None] = '6a2f9c3e1d57'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# What the calendar statement reads: a campaign's name and news link, a wave, its phases, its rounds' numbers (a
# round's status changes at its close and is read elsewhere, under a lock).
WATCHED = {"campaign": "", "wave": "", "phase": "", "matching_round": " OF wave_id, number"}

PG_RANDOM = "floor(random() * 9.0e18)::bigint"
SQLITE_RANDOM = "random()"


def _upsert(random_version: str) -> str:
    return (f"INSERT INTO calendar_version (id, version) VALUES (1, {random_version}) "
            "ON CONFLICT (id) DO UPDATE SET version = excluded.version")


def upgrade() -> None:
    op.create_table('calendar_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION siimop_calendar_changed() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                {_upsert(PG_RANDOM)};
                RETURN NULL;
            END $$""")
        for table, columns in WATCHED.items():
            op.execute(f"CREATE TRIGGER calendar_changed AFTER INSERT OR DELETE OR UPDATE{columns} ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION siimop_calendar_changed()")
            op.execute(f"CREATE TRIGGER calendar_truncated AFTER TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION siimop_calendar_changed()")
        op.execute(_upsert(PG_RANDOM))
    else:  # SQLite: row triggers only, one per table and kind of change
        for table, columns in WATCHED.items():
            for change in ("INSERT", "DELETE", f"UPDATE{columns}"):
                op.execute(f"CREATE TRIGGER calendar_changed_{table}_{change.split()[0].lower()} AFTER {change} "
                           f"ON {table} BEGIN {_upsert(SQLITE_RANDOM)}; END")
        op.execute(_upsert(SQLITE_RANDOM))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in WATCHED:
            op.execute(f"DROP TRIGGER calendar_changed ON {table}")
            op.execute(f"DROP TRIGGER calendar_truncated ON {table}")
        op.execute("DROP FUNCTION siimop_calendar_changed()")
    else:
        for table in WATCHED:
            for change in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER calendar_changed_{table}_{change}")
    op.drop_table('calendar_version')
