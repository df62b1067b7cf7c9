"""comments count their saves: an edit from an older version of a comment is refused

Revision ID: 0009_editor
Revises: 0005_generic_references
Create Date: 2026-12-06 12:00:00.000000

* ``comment.version``: 1 for every comment so far; its author's edits name the
  version they started from (``UPDATE … WHERE id = ? AND version = ?``).

A plain ``ADD COLUMN`` on both databases: on SQLite a batch rebuild of ``comment``
would drop its search trigger (``lti_tool/migrations/subjects.py``).
"""
from alembic import op
import sqlalchemy as sa

from lti_tool.migrations import subjects


# revision identifiers, used by Alembic.
revision = '0009_editor'
down_revision = '0005_generic_references'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('comment', sa.Column('version', sa.Integer(), nullable=False, server_default='1'))


def downgrade():
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.drop_column('version')
    if dialect == 'sqlite':  # the rebuild dropped the comment's search trigger
        for statement in subjects.forget_source(dialect, 'comment', 'comment'):
            op.execute(statement)
