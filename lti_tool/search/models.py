"""The search index: one row per searchable thing (a plan, a comment), kept by the database.

Rows of ``search_document`` are written only by database triggers on ``plan``
and ``comment`` (created by migration ``0003_search``), never by Python code:
whoever saves a plan or a comment, through whichever service, the index follows
in the same transaction. The table is a plain table on both databases so that
models and migrations agree; the full-text machinery differs per dialect:

* **PostgreSQL**: ``document`` is a ``tsvector`` filled by a ``BEFORE`` trigger
  (title weight A, tags B, body C; ``english`` configuration) with a GIN index.
* **SQLite**: ``document`` stays NULL; an FTS5 table ``search_fts`` uses this
  table as its external content (``content_rowid=id``) and is kept in step by
  triggers. FTS5 creates ``search_fts`` and its shadow tables
  (``search_fts_data``, ``_idx``, ``_docsize``, ``_config``), which are not ORM
  tables: :data:`FTS_TABLE_PREFIX` names them for schema comparisons.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.extensions import db

# SQLite-only FTS5 tables that live outside the ORM metadata (see include_in_comparison).
FTS_TABLE_PREFIX = "search_fts"


class SearchKind:
    PLAN = "plan"
    COMMENT = "comment"


class SearchDocument(db.Model):
    __tablename__ = "search_document"
    __table_args__ = (
        # GIN on PostgreSQL; on SQLite an ordinary index over an always-NULL column (tiny).
        sa.Index("ix_search_document_document", "document", postgresql_using="gin"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(
        sa.ForeignKey("space.id", ondelete="CASCADE"), index=True
    )
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    comment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("comment.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(8))
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    tags: Mapped[str] = mapped_column(sa.String(500), default="")
    body: Mapped[str] = mapped_column(sa.Text, default="")
    document: Mapped[str | None] = mapped_column(sa.Text().with_variant(TSVECTOR(), "postgresql"))


def include_in_comparison(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic ``include_name`` hook: leave SQLite's FTS5 tables out of model/migration diffs.

    They are created by the migration with raw DDL (a virtual table cannot be an
    ORM table) and exist only on SQLite, so a comparison must not report them.
    """
    return not (type_ == "table" and name is not None and name.startswith(FTS_TABLE_PREFIX))
