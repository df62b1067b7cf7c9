"""the course roster's sync state: when it last synced, how many members, the last error

Revision ID: 0010_roster
Revises: 0009_editor
Create Date: 2026-12-06 16:00:00.000000

* ``course.roster_synced_at``: the last sync from the LMS roster (NRPS) that succeeded;
  ``course.roster_attempted_at``: the last attempt, good or not (the age threshold counts
  from it, so a failing platform is not asked on every launch).
* ``course.roster_member_count``: members the last good sync found (every role).
* ``course.roster_error``: the last attempt's failure, cleared by the next success.
* ``course.roster_differences_url``: the platform's ``rel="differences"`` link from the last
  good sync, asked next time instead of the whole roster.

Plain ``ADD COLUMN``s (and ``DROP COLUMN``s back) on both databases.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_roster'
down_revision = '0009_editor'
branch_labels = None
depends_on = None

COLUMNS = (
    ('roster_synced_at', sa.DateTime()),
    ('roster_attempted_at', sa.DateTime()),
    ('roster_member_count', sa.Integer()),
    ('roster_error', sa.String(length=1000)),
    ('roster_differences_url', sa.String(length=1024)),
)


def upgrade():
    for name, type_ in COLUMNS:
        op.add_column('course', sa.Column(name, type_, nullable=True))


def downgrade():
    for name, _ in reversed(COLUMNS):
        if op.get_bind().dialect.name == 'sqlite':
            op.execute(f'ALTER TABLE course DROP COLUMN {name}')
        else:
            op.drop_column('course', name)
