"""shared blocks refer to any feature's object: tasks, comments and search by subject (kind + id)

Revision ID: 0005_generic_references
Revises: 8c1f2a7d3e40
Create Date: 2026-12-06 11:00:00.000000

* ``task``: ``space_id``/``plan_id`` become ``subject_kind``/``subject_id``
  (``space:<id>`` or ``plan:<id>``), and ``version`` counts saves (an edit from an
  older version is refused).
* ``comment``: ``plan_id`` becomes ``subject_kind``/``subject_id``.
* ``search_document``: rebuilt with a *source* (what the text comes from) and a
  *subject* (what a hit opens); the plan and comment triggers that wrote it are
  gone (the services write it now), and the index is rebuilt from the tables.
* Deleting a plan or a space deletes the tasks, comments and search entries that
  refer to it (``forget`` triggers, see ``lti_tool/migrations/subjects.py``).
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from lti_tool.migrations import subjects


# revision identifiers, used by Alembic.
revision = '0005_generic_references'
down_revision = '8c1f2a7d3e40'
branch_labels = None
depends_on = None


OLD_SQLITE_TRIGGERS = [
    "plan_search_ai", "plan_search_au", "plan_search_ad",
    "comment_search_ai", "comment_search_au", "comment_search_ad",
    "search_document_ai", "search_document_ad", "search_document_au",
]

SQLITE_FTS = [
    """CREATE VIRTUAL TABLE search_fts USING fts5(
        title, tags, body,
        content='search_document', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER search_document_ai AFTER INSERT ON search_document BEGIN
        INSERT INTO search_fts(rowid, title, tags, body)
        VALUES (new.id, new.title, new.tags, new.body);
    END""",
    """CREATE TRIGGER search_document_ad AFTER DELETE ON search_document BEGIN
        INSERT INTO search_fts(search_fts, rowid, title, tags, body)
        VALUES ('delete', old.id, old.title, old.tags, old.body);
    END""",
    """CREATE TRIGGER search_document_au AFTER UPDATE ON search_document BEGIN
        INSERT INTO search_fts(search_fts, rowid, title, tags, body)
        VALUES ('delete', old.id, old.title, old.tags, old.body);
        INSERT INTO search_fts(rowid, title, tags, body)
        VALUES (new.id, new.title, new.tags, new.body);
    END""",
]

POSTGRES_TSV_TRIGGER = """CREATE TRIGGER search_document_tsv BEFORE INSERT OR UPDATE
    ON search_document FOR EACH ROW EXECUTE FUNCTION search_document_tsv()"""

# The index, rebuilt from the tables (also what a test runs to check the statements).
BACKFILL = [
    """INSERT INTO search_document(source_kind, source_id, subject_kind, subject_id,
                                   title, tags, body)
    SELECT 'plan', id, 'plan', id, title, coalesce(tags, ''),
           coalesce(objectives, '') || :newline || coalesce(body, '')
    FROM plan""",
    """INSERT INTO search_document(source_kind, source_id, subject_kind, subject_id,
                                   title, tags, body)
    SELECT 'comment', id, subject_kind, subject_id, '', '', body
    FROM comment""",
]


def _search_document_table():
    op.create_table('search_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_kind', sa.String(length=32), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('subject_kind', sa.String(length=32), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('tags', sa.String(length=500), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('document', sa.Text().with_variant(postgresql.TSVECTOR(), 'postgresql'), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_document')),
    sa.UniqueConstraint('source_kind', 'source_id', name=op.f('uq_search_document_source_kind_source_id'))
    )
    with op.batch_alter_table('search_document', schema=None) as batch_op:
        batch_op.create_index('ix_search_document_document', ['document'], unique=False, postgresql_using='gin')
        batch_op.create_index('ix_search_document_subject', ['subject_kind', 'subject_id'], unique=False)


def upgrade():
    bind = op.get_bind()
    dialect = bind.dialect.name

    # 1. The old index and the triggers that kept it.
    if dialect == 'sqlite':
        for name in OLD_SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    else:
        op.execute("DROP TRIGGER IF EXISTS comment_search_sync ON comment")
        op.execute("DROP FUNCTION IF EXISTS comment_search_sync()")
        op.execute("DROP TRIGGER IF EXISTS plan_search_sync ON plan")
        op.execute("DROP FUNCTION IF EXISTS plan_search_sync()")
    op.drop_table('search_document')

    # 2. Tasks: a subject and a version.
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject_kind', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('subject_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
    op.execute("UPDATE task SET subject_kind = 'plan', subject_id = plan_id WHERE plan_id IS NOT NULL")
    op.execute("UPDATE task SET subject_kind = 'space', subject_id = space_id WHERE plan_id IS NULL")
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.alter_column('subject_kind', existing_type=sa.String(length=32), nullable=False)
        batch_op.alter_column('subject_id', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('version', existing_type=sa.Integer(), server_default=None)
        batch_op.drop_index(batch_op.f('ix_task_space_id'))
        batch_op.drop_index(batch_op.f('ix_task_plan_id'))
        batch_op.drop_constraint('fk_task_plan_id_plan', type_='foreignkey')
        batch_op.drop_constraint('fk_task_space_id_space', type_='foreignkey')
        batch_op.drop_column('plan_id')
        batch_op.drop_column('space_id')
        batch_op.create_index('ix_task_subject', ['subject_kind', 'subject_id'], unique=False)

    # 3. Comments: a subject.
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject_kind', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('subject_id', sa.Integer(), nullable=True))
    op.execute("UPDATE comment SET subject_kind = 'plan', subject_id = plan_id")
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.alter_column('subject_kind', existing_type=sa.String(length=32), nullable=False)
        batch_op.alter_column('subject_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_index(batch_op.f('ix_comment_plan_id'))
        batch_op.drop_constraint('fk_comment_plan_id_plan', type_='foreignkey')
        batch_op.drop_column('plan_id')
        batch_op.create_index('ix_comment_subject', ['subject_kind', 'subject_id', 'created_at'], unique=False)

    # 4. The new index, its full-text machinery, and its contents.
    _search_document_table()
    if dialect == 'sqlite':
        for statement in SQLITE_FTS:
            op.execute(statement)
    else:
        op.execute(POSTGRES_TSV_TRIGGER)
    for statement in BACKFILL:
        bind.execute(sa.text(statement), {'newline': '\n'})

    # 5. A plan or space that goes takes its tasks, comments and search entries along.
    if dialect == 'postgresql':
        for statement in subjects.postgres_functions():
            op.execute(statement)
    for table, kind in (('space', 'space'), ('plan', 'plan')):
        for statement in subjects.forget_subject(dialect, table, kind):
            op.execute(statement)
    for statement in subjects.forget_source(dialect, 'comment', 'comment'):
        op.execute(statement)


def downgrade():
    raise NotImplementedError(
        "0005 is not reversible: tasks and comments on objects other than plans and "
        "spaces cannot be put back into plan and space columns"
    )
