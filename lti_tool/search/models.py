"""The search index: one row per searchable text (a plan, a comment, an observation…).

A row's *source* is the object its text comes from; its *subject* is the object
a hit opens, whose kind's rule (in :mod:`lti_tool.courses.registry`) decides who
may find it. For a plan both are the plan; for a comment on a plan the source is
the comment and the subject the plan. Features and blocks write their rows with
:func:`lti_tool.search.services.index` in the transaction that saves the object,
and the rows go when the object goes (its kind's ``forget`` trigger, see
:mod:`lti_tool.db`). The table is a plain table on both databases so that models
and migrations agree; the full-text machinery differs per dialect:

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


class SearchDocument(db.Model):
    __tablename__ = "search_document"
    __table_args__ = (
        # GIN on PostgreSQL; on SQLite an ordinary index over an always-NULL column (tiny).
        sa.Index("ix_search_document_document", "document", postgresql_using="gin"),
        sa.UniqueConstraint("source_kind", "source_id"),
        sa.Index("ix_search_document_subject", "subject_kind", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_kind: Mapped[str] = mapped_column(sa.String(32))
    source_id: Mapped[int] = mapped_column()
    subject_kind: Mapped[str] = mapped_column(sa.String(32))
    subject_id: Mapped[int] = mapped_column()
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
