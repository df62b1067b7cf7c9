"""comments count their saves: an edit from an older version of a comment is refused

Revision ID: 0009_editor
Revises: 0008_page_indexes
Create Date: 2026-12-06 12:00:00.000000

* ``comment.version``: 1 for every comment so far; its author's edits name the
  version they started from (``UPDATE … WHERE id = ? AND version = ?``).

A plain ``ADD COLUMN`` (and ``DROP COLUMN`` back) on both databases: on SQLite a batch
rebuild of ``comment`` would drop its search trigger (``lti_tool/migrations/subjects.py``).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_editor'
down_revision = '0008_page_indexes'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('comment', sa.Column('version', sa.Integer(), nullable=False, server_default='1'))


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite 3.35+ drops a column in place: a batch rebuild would trip over the other
        # tables' triggers that delete from comment, and drop comment's own.
        op.execute('ALTER TABLE comment DROP COLUMN version')
    else:
        op.drop_column('comment', 'version')
