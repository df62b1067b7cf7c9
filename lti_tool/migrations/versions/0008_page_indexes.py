"""indexes for the pages that grow with a school: changed plans, unseen mentions

Revision ID: 0008_page_indexes
Revises: 0006_observations
Create Date: 2026-12-06 12:00:00.000000

Found by the page benchmark (bench/pages.py):

* "Changed since your last visit" asks, per space, for the plans saved after the
  teacher's last visit, newest first: ``plan (space_id, updated_at)``.
* Unseen mentions are a person's mentions not yet seen, newest first: a partial
  index on ``mention (person_id, id) WHERE seen_at IS NULL`` holds only those, in
  the order the dashboard reads them, so the list stops after its first rows
  however many mentions the person has seen.

Plain CREATE INDEX on both databases: no table is rebuilt (on SQLite a rebuild
would drop the tables' triggers).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_page_indexes'
down_revision = '0006_observations'
branch_labels = None
depends_on = None

UNSEEN = sa.text('seen_at IS NULL')


def upgrade():
    op.create_index('ix_plan_space_updated', 'plan', ['space_id', 'updated_at'], unique=False)
    op.create_index('ix_mention_unseen', 'mention', ['person_id', 'id'], unique=False,
                    sqlite_where=UNSEEN, postgresql_where=UNSEEN)


def downgrade():
    op.drop_index('ix_mention_unseen', table_name='mention')
    op.drop_index('ix_plan_space_updated', table_name='plan')
