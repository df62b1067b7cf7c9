"""full-text search: search_document kept by triggers; FTS5 on SQLite, tsvector + GIN on PostgreSQL

Revision ID: 5e4c0a9d2f13
Revises: b73022232878
Create Date: 2026-11-23 10:00:00.000000

The index is written by database triggers on ``plan`` and ``comment`` so that
every save, by any code path, is searchable in the same transaction (see
lti_tool/search/models.py). Existing plans and comments are indexed here.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '5e4c0a9d2f13'
down_revision = 'b73022232878'
branch_labels = None
depends_on = None


SQLITE_UP = [
    # External-content FTS5 over search_document: the text is stored once.
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
    """CREATE TRIGGER plan_search_ai AFTER INSERT ON plan BEGIN
        INSERT INTO search_document(space_id, plan_id, comment_id, kind, title, tags, body)
        VALUES (new.space_id, new.id, NULL, 'plan', new.title, coalesce(new.tags, ''),
                coalesce(new.objectives, '') || char(10) || coalesce(new.body, ''));
    END""",
    """CREATE TRIGGER plan_search_au AFTER UPDATE OF space_id, title, tags, objectives, body
    ON plan BEGIN
        UPDATE search_document
        SET title = new.title, tags = coalesce(new.tags, ''), space_id = new.space_id,
            body = coalesce(new.objectives, '') || char(10) || coalesce(new.body, '')
        WHERE plan_id = new.id AND kind = 'plan';
        UPDATE search_document SET space_id = new.space_id
        WHERE plan_id = new.id AND kind = 'comment' AND space_id <> new.space_id;
    END""",
    # SQLite does not enforce foreign keys here, so deletions are mirrored explicitly.
    """CREATE TRIGGER plan_search_ad AFTER DELETE ON plan BEGIN
        DELETE FROM search_document WHERE plan_id = old.id;
    END""",
    """CREATE TRIGGER comment_search_ai AFTER INSERT ON comment BEGIN
        INSERT INTO search_document(space_id, plan_id, comment_id, kind, title, tags, body)
        SELECT plan.space_id, new.plan_id, new.id, 'comment', '', '', new.body
        FROM plan WHERE plan.id = new.plan_id;
    END""",
    """CREATE TRIGGER comment_search_au AFTER UPDATE OF body ON comment BEGIN
        UPDATE search_document SET body = new.body WHERE comment_id = new.id;
    END""",
    """CREATE TRIGGER comment_search_ad AFTER DELETE ON comment BEGIN
        DELETE FROM search_document WHERE comment_id = old.id;
    END""",
]

SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS comment_search_ad",
    "DROP TRIGGER IF EXISTS comment_search_au",
    "DROP TRIGGER IF EXISTS comment_search_ai",
    "DROP TRIGGER IF EXISTS plan_search_ad",
    "DROP TRIGGER IF EXISTS plan_search_au",
    "DROP TRIGGER IF EXISTS plan_search_ai",
    "DROP TRIGGER IF EXISTS search_document_au",
    "DROP TRIGGER IF EXISTS search_document_ad",
    "DROP TRIGGER IF EXISTS search_document_ai",
    "DROP TABLE IF EXISTS search_fts",
]

POSTGRES_UP = [
    """CREATE FUNCTION search_document_tsv() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.document :=
            setweight(to_tsvector('english', coalesce(NEW.title, '')), 'A')
            || setweight(to_tsvector('english', coalesce(NEW.tags, '')), 'B')
            || setweight(to_tsvector('english', coalesce(NEW.body, '')), 'C');
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER search_document_tsv BEFORE INSERT OR UPDATE ON search_document
    FOR EACH ROW EXECUTE FUNCTION search_document_tsv()""",
    """CREATE FUNCTION plan_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            INSERT INTO search_document(space_id, plan_id, comment_id, kind, title, tags, body)
            VALUES (NEW.space_id, NEW.id, NULL, 'plan', NEW.title, coalesce(NEW.tags, ''),
                    coalesce(NEW.objectives, '') || E'\\n' || coalesce(NEW.body, ''));
        ELSE
            UPDATE search_document
            SET title = NEW.title, tags = coalesce(NEW.tags, ''), space_id = NEW.space_id,
                body = coalesce(NEW.objectives, '') || E'\\n' || coalesce(NEW.body, '')
            WHERE plan_id = NEW.id AND kind = 'plan';
            IF NEW.space_id IS DISTINCT FROM OLD.space_id THEN
                UPDATE search_document SET space_id = NEW.space_id
                WHERE plan_id = NEW.id AND kind = 'comment';
            END IF;
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER plan_search_sync
    AFTER INSERT OR UPDATE OF space_id, title, tags, objectives, body ON plan
    FOR EACH ROW EXECUTE FUNCTION plan_search_sync()""",
    """CREATE FUNCTION comment_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            INSERT INTO search_document(space_id, plan_id, comment_id, kind, title, tags, body)
            SELECT plan.space_id, NEW.plan_id, NEW.id, 'comment', '', '', NEW.body
            FROM plan WHERE plan.id = NEW.plan_id;
        ELSE
            UPDATE search_document SET body = NEW.body WHERE comment_id = NEW.id;
        END IF;
        RETURN NULL;
    END $$""",
    # Deletions follow through the foreign keys' ON DELETE CASCADE.
    """CREATE TRIGGER comment_search_sync AFTER INSERT OR UPDATE OF body ON comment
    FOR EACH ROW EXECUTE FUNCTION comment_search_sync()""",
]

POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS comment_search_sync ON comment",
    "DROP FUNCTION IF EXISTS comment_search_sync()",
    "DROP TRIGGER IF EXISTS plan_search_sync ON plan",
    "DROP FUNCTION IF EXISTS plan_search_sync()",
    "DROP TRIGGER IF EXISTS search_document_tsv ON search_document",
    "DROP FUNCTION IF EXISTS search_document_tsv()",
]

BACKFILL = [
    """INSERT INTO search_document(space_id, plan_id, comment_id, kind, title, tags, body)
    SELECT space_id, id, NULL, 'plan', title, coalesce(tags, ''),
           coalesce(objectives, '') || :newline || coalesce(body, '')
    FROM plan""",
    """INSERT INTO search_document(space_id, plan_id, comment_id, kind, title, tags, body)
    SELECT plan.space_id, comment.plan_id, comment.id, 'comment', '', '', comment.body
    FROM comment JOIN plan ON plan.id = comment.plan_id""",
]


def upgrade():
    op.create_table('search_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('space_id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('tags', sa.String(length=500), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('document', sa.Text().with_variant(postgresql.TSVECTOR(), 'postgresql'), nullable=True),
    sa.ForeignKeyConstraint(['comment_id'], ['comment.id'], name=op.f('fk_search_document_comment_id_comment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], name=op.f('fk_search_document_plan_id_plan'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['space_id'], ['space.id'], name=op.f('fk_search_document_space_id_space'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_document'))
    )
    with op.batch_alter_table('search_document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_document_comment_id'), ['comment_id'], unique=False)
        batch_op.create_index('ix_search_document_document', ['document'], unique=False, postgresql_using='gin')
        batch_op.create_index(batch_op.f('ix_search_document_plan_id'), ['plan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_search_document_space_id'), ['space_id'], unique=False)

    dialect = op.get_bind().dialect.name
    for statement in SQLITE_UP if dialect == 'sqlite' else POSTGRES_UP:
        op.execute(statement)
    for statement in BACKFILL:
        op.get_bind().execute(sa.text(statement), {'newline': '\n'})


def downgrade():
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_DOWN if dialect == 'sqlite' else POSTGRES_DOWN:
        op.execute(statement)
    with op.batch_alter_table('search_document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_search_document_space_id'))
        batch_op.drop_index(batch_op.f('ix_search_document_plan_id'))
        batch_op.drop_index('ix_search_document_document', postgresql_using='gin')
        batch_op.drop_index(batch_op.f('ix_search_document_comment_id'))

    op.drop_table('search_document')
