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
from flask import current_app

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


_BUILT = "staffroom.activity.statements"


def _statements(sections: tuple[NewsSection, ...]) -> tuple[sa.Select, list[sa.Select]]:
    """The probe and each section's list, built once per application and set of sections.

    They take the person, platform and course as bound parameters, so the same
    statements (and SQLAlchemy's compiled forms of them) serve every request:
    building them costs more than running them.
    """
    built = current_app.extensions.setdefault(_BUILT, {})
    if sections not in built:
        statements = [section.statement(*_PARAMS) for section in sections]
        probe = sa.select(*(_any_row(s) for s in statements))
        built[sections] = (probe, [s.limit(SHOWN) for s in statements])
    return built[sections]


def whats_new(person: Person, course: Course) -> WhatsNew:
    """Every section that has something for this person in this course, newest first."""
    sections = tuple(registry.news_sections())
    if not sections:
        return WhatsNew([])
    probe, statements = _statements(sections)
    params = {"person_id": person.id, "platform_id": person.platform_id, "course_id": course.id}
    has_items = db.session.execute(probe, params).one()
    lists = []
    for section, statement, has in zip(sections, statements, has_items, strict=True):
        if not has:
            continue
        rows = db.session.execute(statement, params).all()
        items = section.load(rows)
        if items:
            lists.append(NewsList(section, items))
    return WhatsNew(lists)
