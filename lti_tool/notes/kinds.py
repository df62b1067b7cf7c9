"""What notes plug into the shared blocks: a kind, a dashboard panel, a navigation entry.

* The kind ``learner_note`` under the one rule of :mod:`.policy`: its follow-ups are
  tasks ("My tasks"), its replies a discussion, each visible only to those who may
  read the note. Restricted notes (wellbeing, support need) are not ``listed``: search
  never shows their replies (their text is read only through the logged click).
  Notes themselves are never indexed for search: reading one is always audited.
* The "Our learners" panel on the course dashboard.
* "Learners" in the course navigation: the class list.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import sqlalchemy as sa
from flask import Flask, render_template

from lti_tool.courses import registry
from lti_tool.courses.models import Person
from lti_tool.courses.registry import Kind, NavLink, Panel, Subject, SubjectInfo
from lti_tool.extensions import db
from lti_tool.notes.models import CATEGORY_LABELS, SENSITIVE, Category, LearnerNote
from lti_tool.notes.policy import note_rule
from lti_tool.notes.services import KIND


def _describe(ids: Collection[int]) -> dict[int, SubjectInfo]:
    rows = db.session.execute(
        sa.select(LearnerNote.id, LearnerNote.category, Person)
        .join(Person, Person.id == LearnerNote.learner_id)
        .where(LearnerNote.id.in_(ids))).all()
    return {
        note_id: SubjectInfo(
            Subject(KIND, note_id),
            f"{CATEGORY_LABELS.get(Category(category), category)} note about "
            f"{learner.display_name}" if category in set(Category) else "Note",
            "courses.notes.view", {"note_id": note_id}, "Note about a learner")
        for note_id, category, learner in rows
    }


def _listed() -> sa.ColumnElement[bool]:
    return LearnerNote.category.not_in(sorted(SENSITIVE))


NOTE = Kind(name=KIND, label="note about a learner", model=LearnerNote, rule=note_rule,
            describe=_describe, listed=_listed)


def _panel(ctx) -> str:  # type: ignore[no-untyped-def]
    return render_template("notes/_panel.html", ctx=ctx)


PANEL = Panel(name="notes", order=30, render=_panel)


# --- deep linking: the class list, placed in the LMS (a teacher's "Learners" link) ---------


def _class_list_choices(ctx: Any) -> list[registry.LinkChoice]:
    return [registry.LinkChoice("class-list:here", "The class list", "Learner notes",
                                "every learner of the course, with the notes you may read")]


def _open_class_list(ctx: Any, key: str) -> tuple[str, dict[str, Any]] | None:
    return ("courses.notes.index", {}) if key == "here" else None


CLASS_LIST = registry.LinkTarget("class-list", 50, _class_list_choices, _open_class_list)


def init_app(app: Flask) -> None:
    registry.register_link_target(app, CLASS_LIST)
    registry.register_kind(app, NOTE)
    registry.register_panel(app, PANEL)
    registry.register_nav(app, NavLink("notes", 30, "Learners", "courses.notes.index"))
