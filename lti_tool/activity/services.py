"""What is new for a teacher: the sections features and blocks registered, in one panel.

Each :class:`~lti_tool.courses.registry.NewsSection` (unseen mentions, open
tasks, plans colleagues changed, observations waiting for you…) gives one
statement. One query asks whether each section has a first item; only the
sections that do are then read, each with one bounded query (plus one per kind
among its items, to name them). So the panel costs the same whatever the number
of spaces, plans or comments, and a teacher with nothing new costs one query.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from lti_tool.courses import registry
from lti_tool.courses.models import Course, Person
from lti_tool.courses.registry import NewsSection
from lti_tool.extensions import db

SHOWN = 10  # per section; the full lists are "My tasks" and the features' own pages

_PARAMS = (sa.bindparam("person_id"), sa.bindparam("platform_id"), sa.bindparam("course_id"))


@dataclass(frozen=True)
class NewsList:
    section: NewsSection
    items: list[Any]


@dataclass(frozen=True)
class WhatsNew:
    lists: list[NewsList]

    @property
    def is_empty(self) -> bool:
        return not self.lists

    def items(self, section: str) -> list[Any]:
        """The items of one section (by its name), or [] when it has none."""
        return next((entry.items for entry in self.lists if entry.section.name == section), [])


def _any_row(statement: sa.Select) -> sa.Exists:
    return statement.with_only_columns(sa.literal(1)).order_by(None).limit(None).exists()


def whats_new(person: Person, course: Course) -> WhatsNew:
    """Every section that has something for this person in this course, newest first."""
    sections = registry.news_sections()
    if not sections:
        return WhatsNew([])
    statements = [section.statement(*_PARAMS) for section in sections]
    params = {"person_id": person.id, "platform_id": person.platform_id, "course_id": course.id}
    has_items = db.session.execute(
        sa.select(*(_any_row(s) for s in statements)), params
    ).one()
    lists = []
    for section, statement, has in zip(sections, statements, has_items, strict=True):
        if not has:
            continue
        rows = db.session.execute(statement.limit(SHOWN), params).all()
        items = section.load(rows)
        if items:
            lists.append(NewsList(section, items))
    return WhatsNew(lists)
