"""Comments on any feature's object, and the @mentions in them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.db import utcnow
from lti_tool.extensions import db


class Comment(db.Model):
    """A message in the discussion of one object (``subject_kind`` + ``subject_id``)."""

    __tablename__ = "comment"
    __table_args__ = (sa.Index("ix_comment_subject", "subject_kind", "subject_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_kind: Mapped[str] = mapped_column(sa.String(32))
    subject_id: Mapped[int] = mapped_column()
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL")
    )
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column()
    # Counts saves: an edit from an older version is refused, never applied.
    version: Mapped[int] = mapped_column(default=1, server_default="1")


class Mention(db.Model):
    """An @mention of someone who may read the discussion; unseen ones show as new."""

    __tablename__ = "mention"
    __table_args__ = (
        sa.UniqueConstraint("comment_id", "person_id"),
        # A person's unseen mentions, newest first ("What's new"): only those are indexed.
        sa.Index("ix_mention_unseen", "person_id", "id",
                 sqlite_where=sa.text("seen_at IS NULL"),
                 postgresql_where=sa.text("seen_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(sa.ForeignKey("comment.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    seen_at: Mapped[datetime | None] = mapped_column()
