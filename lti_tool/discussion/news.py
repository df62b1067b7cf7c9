"""Unseen mentions: a section of "What's new" (see lti_tool.courses.registry.NewsSection)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import url_for

from lti_tool.courses import registry
from lti_tool.courses.models import Person
from lti_tool.courses.registry import NewsSection, Subject, SubjectInfo
from lti_tool.discussion.models import Comment, Mention


@dataclass(frozen=True)
class MentionItem:
    mention_id: int
    comment_id: int
    subject: SubjectInfo
    author_name: str
    created_at: datetime
    excerpt: str

    @property
    def url(self) -> str:
        # The whole discussion: the comment may be older than those a page opens on.
        page = url_for(self.subject.endpoint, **self.subject.values, comments="all")
        return f"{page}#comment-{self.comment_id}"


def _excerpt(text: str, limit: int = 140) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _statement(person_id: Any, platform_id: Any, course_id: Any) -> sa.Select:
    """The person's unseen mentions on what they may still read, newest first.

    A mention is made when its comment is posted, so its id gives that order, and the
    partial index ``ix_mention_unseen`` (person, id; unseen only) reads them in it.
    """
    author = sa.orm.aliased(Person)
    return (
        sa.select(Mention.id, Comment, author)
        .join(Comment, Comment.id == Mention.comment_id)
        .outerjoin(author, author.id == Comment.author_id)
        .where(
            Mention.person_id == person_id,
            Mention.seen_at.is_(None),
            registry.visible(Comment.subject_kind, Comment.subject_id, person_id, platform_id),
        )
        .order_by(Mention.id.desc())
    )


def _load(rows: list[Any]) -> list[MentionItem]:
    subjects = registry.describe(Subject(c.subject_kind, c.subject_id) for _, c, _ in rows)
    items = []
    for mention_id, comment, author in rows:
        info = subjects.get(Subject(comment.subject_kind, comment.subject_id))
        if info is None:
            continue
        items.append(MentionItem(
            mention_id, comment.id, info,
            author.display_name if author else "A former member",
            comment.created_at, _excerpt(comment.body),
        ))
    return items


MENTIONS = NewsSection(
    name="mentions", order=10, statement=_statement, load=_load,
    template="discussion/_news_mentions.html",
)
