"""What is new for a teacher: unseen mentions, their open tasks, plans colleagues changed.

Shown on the course dashboard (``templates/courses/_whats_new.html``). One
query asks whether each list has anything to show; only the lists that do are
then read, each with one bounded query filtered by :func:`accessible_space_ids`
in SQL, so the panel costs the same whatever the number of spaces, plans or
comments, and a teacher with nothing new costs a single query.

"Since your last visit" uses ``SpaceMember.last_visit_at``, stamped by
:func:`record_space_visit` when the teacher opens a space's home page.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from lti_tool.courses.models import Course, Person
from lti_tool.db import utcnow
from lti_tool.extensions import db
from lti_tool.planning.models import (
    Comment,
    MemberStatus,
    Mention,
    Plan,
    Space,
    SpaceKind,
    SpaceMember,
)
from lti_tool.tasks.services import (
    TaskRow,
    accessible_space_ids_param,
    open_tasks_for,
    open_tasks_statement,
)

SHOWN = 10  # per list; the full lists are "My tasks" and the spaces themselves


@dataclass(frozen=True)
class MentionItem:
    mention_id: int
    plan: Plan
    space_id: int
    space_name: str
    author_name: str
    created_at: datetime
    excerpt: str


@dataclass(frozen=True)
class ChangedPlan:
    plan: Plan
    space_name: str
    editor_name: str


@dataclass(frozen=True)
class WhatsNew:
    mentions: list[MentionItem]
    tasks: list[TaskRow]
    changed: list[ChangedPlan]

    @property
    def is_empty(self) -> bool:
        return not (self.mentions or self.tasks or self.changed)


def _excerpt(text: str, limit: int = 140) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def unseen_mentions(person: Person, limit: int = SHOWN) -> list[MentionItem]:
    rows = db.session.execute(
        _mentions_statement(),
        {"person_id": person.id, "platform_id": person.platform_id, "limit": limit},
    ).all()
    return [
        MentionItem(mid, plan, sid, sname, who.display_name if who else "A former member",
                    comment.created_at, _excerpt(comment.body))
        for mid, comment, plan, sid, sname, who in rows
    ]


def changed_plans(person: Person, course: Course, limit: int = SHOWN) -> list[ChangedPlan]:
    """Plans others saved since this person last opened their space (all of them if never).

    Limited to this course's space and the person's team spaces: another
    course's changes belong on that course's dashboard.
    """
    rows = db.session.execute(
        _changed_statement(),
        {
            "person_id": person.id,
            "platform_id": person.platform_id,
            "course_id": course.id,
            "limit": limit,
        },
    ).all()
    return [
        ChangedPlan(plan, space_name, who.display_name if who else "A former member")
        for plan, space_name, who in rows
    ]


# The two statements are built once, with the person, course and limit as bound
# parameters: the dashboard runs them on every visit, and a reused statement object
# keeps its SQLAlchemy cache key, so it costs no Python-side construction per request.


@functools.cache
def _mentions_statement() -> sa.Select:
    author = sa.orm.aliased(Person)
    return (
        sa.select(Mention.id, Comment, Plan, Space.id, Space.name, author)
        .join(Comment, Comment.id == Mention.comment_id)
        .join(Plan, Plan.id == Comment.plan_id)
        .join(Space, Space.id == Plan.space_id)
        .outerjoin(author, author.id == Comment.author_id)
        .where(
            Mention.person_id == sa.bindparam("person_id"),
            Mention.seen_at.is_(None),
            Space.id.in_(accessible_space_ids_param()),
        )
        .order_by(Comment.created_at.desc(), Mention.id.desc())
        .limit(sa.bindparam("limit", type_=sa.Integer))
    )


@functools.cache
def _changed_statement() -> sa.Select:
    editor = sa.orm.aliased(Person)
    visit = sa.orm.aliased(SpaceMember)
    person_id = sa.bindparam("person_id")
    return (
        sa.select(Plan, Space.name, editor)
        .join(Space, Space.id == Plan.space_id)
        .outerjoin(visit, sa.and_(visit.space_id == Space.id, visit.person_id == person_id))
        .outerjoin(editor, editor.id == Plan.updated_by_id)
        .where(
            Space.id.in_(accessible_space_ids_param()),
            sa.or_(Space.course_id == sa.bindparam("course_id"), Space.kind == SpaceKind.TEAM),
            Plan.archived.is_(False),
            Plan.updated_by_id.is_not(None),
            Plan.updated_by_id != person_id,
            sa.or_(visit.last_visit_at.is_(None), Plan.updated_at > visit.last_visit_at),
        )
        .order_by(Plan.updated_at.desc(), Plan.id.desc())
        .limit(sa.bindparam("limit", type_=sa.Integer))
    )


@functools.cache
def _probe_statement() -> sa.Select:
    """Whether each of the three lists has a first item: one row of three booleans."""

    def any_row(stmt: sa.Select) -> sa.Exists:
        return stmt.with_only_columns(sa.literal(1)).order_by(None).limit(None).exists()

    return sa.select(
        any_row(_mentions_statement()),
        any_row(open_tasks_statement()),
        any_row(_changed_statement()),
    )


def whats_new(person: Person, course: Course) -> WhatsNew:
    """Everything the dashboard panel shows: one query, then one per list that has items."""
    # Three booleans: run on the session's connection, without the ORM's result handling.
    has_mentions, has_tasks, has_changed = db.session.connection().execute(
        _probe_statement(),
        {"person_id": person.id, "platform_id": person.platform_id, "course_id": course.id},
    ).one()
    return WhatsNew(
        mentions=unseen_mentions(person) if has_mentions else [],
        tasks=open_tasks_for(person, SHOWN) if has_tasks else [],
        changed=changed_plans(person, course) if has_changed else [],
    )


def record_space_visit(space: Space, person: Person, when: datetime | None = None) -> None:
    """Stamp the person's last visit to the space's home page.

    A course space grants access through the roster, so its members may have no
    ``SpaceMember`` row yet: the first visit creates one (a concurrent first
    visit that wins the unique constraint is simply updated instead).
    """
    stamp = when or utcnow()
    updated = db.session.execute(
        sa.update(SpaceMember)
        .where(SpaceMember.space_id == space.id, SpaceMember.person_id == person.id)
        .values(last_visit_at=stamp)
        .execution_options(synchronize_session="fetch")
    ).rowcount
    if not updated:
        if space.kind != SpaceKind.COURSE:
            db.session.rollback()
            return
        db.session.add(
            SpaceMember(space_id=space.id, person_id=person.id, status=MemberStatus.ACTIVE,
                        last_visit_at=stamp)
        )
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            db.session.execute(
                sa.update(SpaceMember)
                .where(SpaceMember.space_id == space.id, SpaceMember.person_id == person.id)
                .values(last_visit_at=stamp)
            )
        else:
            return
    db.session.commit()
