"""notes about learners: notes, their versions, and the append-only audit log

Revision ID: 0011_notes
Revises: 0010_roster
Create Date: 2026-12-06 15:52:27.947140

* ``learner_note`` (soft deleted: ``deleted_at``) and ``learner_note_version`` (every
  saved state: who, what, when).
* ``note_audit``: append-only. Triggers on both databases refuse every UPDATE and
  DELETE of it (there is no exception: erasure and purge add lines, never change one).
  ``TRUNCATE`` and ``DROP`` remain, as for any table, to the database's owner.
* Deleting a note deletes its follow-ups, replies and search entries (the ``forget``
  trigger of ``lti_tool/migrations/subjects.py``, kind ``learner_note``).
"""
from alembic import op
import sqlalchemy as sa

from lti_tool.migrations import subjects

# revision identifiers, used by Alembic.
revision = '0011_notes'
down_revision = '0010_roster'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('note_audit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('action', sa.String(length=8), nullable=False),
    sa.Column('actor_kind', sa.String(length=8), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=255), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=True),
    sa.Column('course_id', sa.Integer(), nullable=True),
    sa.Column('learner_id', sa.Integer(), nullable=True),
    sa.Column('note_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.String(length=255), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_note_audit'))
    )
    with op.batch_alter_table('note_audit', schema=None) as batch_op:
        batch_op.create_index('ix_note_audit_at', ['at'], unique=False)
        batch_op.create_index('ix_note_audit_learner', ['learner_id', 'id'], unique=False)

    op.create_table('learner_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('learner_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('visibility', sa.String(length=8), nullable=False),
    sa.Column('is_key', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['person.id'], name=op.f('fk_learner_note_author_id_person'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_learner_note_course_id_course'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['learner_id'], ['person.id'], name=op.f('fk_learner_note_learner_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['platform_id'], ['platform.id'], name=op.f('fk_learner_note_platform_id_platform'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_learner_note'))
    )
    with op.batch_alter_table('learner_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_learner_note_author_id'), ['author_id'], unique=False)
        batch_op.create_index('ix_learner_note_course', ['course_id'], unique=False)
        batch_op.create_index('ix_learner_note_learner', ['learner_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_learner_note_platform_id'), ['platform_id'], unique=False)

    op.create_table('learner_note_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('note_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('visibility', sa.String(length=8), nullable=False),
    sa.Column('is_key', sa.Boolean(), nullable=False),
    sa.Column('saved_by_id', sa.Integer(), nullable=True),
    sa.Column('saved_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['note_id'], ['learner_note.id'], name=op.f('fk_learner_note_version_note_id_learner_note'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['saved_by_id'], ['person.id'], name=op.f('fk_learner_note_version_saved_by_id_person'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_learner_note_version')),
    sa.UniqueConstraint('note_id', 'number', name=op.f('uq_learner_note_version_note_id_number'))
    )
    dialect = op.get_bind().dialect.name
    for statement in subjects.forget_subject(dialect, 'learner_note', 'learner_note'):
        op.execute(statement)
    for statement in append_only(dialect):
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    for statement in subjects.drop(dialect, 'learner_note'):
        op.execute(statement)
    op.execute("DELETE FROM task WHERE subject_kind = 'learner_note'")
    op.execute("DELETE FROM comment WHERE subject_kind = 'learner_note'")
    op.execute("DELETE FROM search_document WHERE subject_kind = 'learner_note'")
    op.drop_table('learner_note_version')
    with op.batch_alter_table('learner_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_learner_note_platform_id'))
        batch_op.drop_index('ix_learner_note_learner')
        batch_op.drop_index('ix_learner_note_course')
        batch_op.drop_index(batch_op.f('ix_learner_note_author_id'))

    op.drop_table('learner_note')
    with op.batch_alter_table('note_audit', schema=None) as batch_op:
        batch_op.drop_index('ix_note_audit_learner')
        batch_op.drop_index('ix_note_audit_at')

    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP FUNCTION IF EXISTS note_audit_append_only() CASCADE')
    op.drop_table('note_audit')


def append_only(dialect):
    """Triggers that refuse every UPDATE and DELETE of ``note_audit``."""
    message = 'note_audit is append-only'
    if dialect == 'postgresql':
        return [
            "CREATE OR REPLACE FUNCTION note_audit_append_only() RETURNS trigger "
            "LANGUAGE plpgsql AS $$\nBEGIN\nRAISE EXCEPTION '%s';\nEND $$" % message,
            "CREATE TRIGGER note_audit_append_only BEFORE UPDATE OR DELETE ON note_audit "
            "FOR EACH ROW EXECUTE FUNCTION note_audit_append_only()",
        ]
    return [
        f"CREATE TRIGGER note_audit_no_update BEFORE UPDATE ON note_audit "
        f"BEGIN SELECT RAISE(ABORT, '{message}'); END",
        f"CREATE TRIGGER note_audit_no_delete BEFORE DELETE ON note_audit "
        f"BEGIN SELECT RAISE(ABORT, '{message}'); END",
    ]
