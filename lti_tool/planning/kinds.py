"""What planning plugs into the shared blocks: its kinds, its news and its dashboard panel.

Two kinds: ``space`` (a task for the whole team) and ``plan`` (a unit, a
lesson, a meeting…), both under the one space rule of
:mod:`lti_tool.planning.policy`. Two sections of "What's new" (invitations to
team spaces; plans colleagues changed since your last visit) and one panel
("Plan together").
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask, render_template

from lti_tool.courses import registry
from lti_tool.courses.models import Person
from lti_tool.courses.registry import AudienceMember, Kind, NewsSection, Panel, SubjectInfo
from lti_tool.extensions import db
from lti_tool.planning import services
from lti_tool.planning.models import MemberStatus, Plan, Space, SpaceKind, SpaceMember
from lti_tool.planning.policy import plan_rule, space_rule, visible_space_ids


def _describe_spaces(ids: Collection[int]) -> dict[int, SubjectInfo]:
    rows = db.session.execute(sa.select(Space.id, Space.name).where(Space.id.in_(ids))).all()
    return {
        sid: SubjectInfo(
            registry.Subject(services.SPACE_KIND, sid), name,
            "courses.planning.space", {"space_id": sid},
        )
        for sid, name in rows
    }


def _describe_plans(ids: Collection[int]) -> dict[int, SubjectInfo]:
    rows = db.session.execute(
        sa.select(Plan.id, Plan.title, Plan.space_id, Space.name)
        .join(Space, Space.id == Plan.space_id)
        .where(Plan.id.in_(ids))
    ).all()
    return {
        pid: SubjectInfo(
            registry.Subject(services.PLAN_KIND, pid), title,
            "courses.planning.plan", {"space_id": sid, "plan_id": pid}, space_name,
        )
        for pid, title, sid, space_name in rows
    }


def _members(space_id: int | None) -> list[AudienceMember]:
    space = db.session.get(Space, space_id) if space_id is not None else None
    if space is None:
        return []
    members = [
        AudienceMember(row.person, f"strengths: {row.strengths}" if row.strengths else "")
        for row in services.members_of(space)
    ]
    return sorted(members, key=lambda m: (m.name.casefold(), m.id))


def _space_audience(space_id: int) -> list[AudienceMember]:
    return _members(space_id)


def _plan_audience(plan_id: int) -> list[AudienceMember]:
    return _members(db.session.scalar(sa.select(Plan.space_id).where(Plan.id == plan_id)))


def _plan_criteria(plan_id: int) -> list[str]:
    """A plan's learning objectives and success criteria, one per line of its objectives."""
    objectives = db.session.scalar(sa.select(Plan.objectives).where(Plan.id == plan_id)) or ""
    points = []
    for line in objectives.splitlines():
        point = line.strip().lstrip("-*+").strip()
        if point and not point.endswith(":"):
            points.append(point)
    return points


SPACE = Kind(
    name=services.SPACE_KIND, label="space", model=Space, rule=space_rule,
    describe=_describe_spaces, audience=_space_audience,
)
PLAN = Kind(
    name=services.PLAN_KIND, label="plan", model=Plan, rule=plan_rule,
    describe=_describe_plans, audience=_plan_audience,
    listed=lambda: Plan.archived.is_(False), criteria=_plan_criteria,
)


# --- "What's new": plans colleagues changed since your last visit -------------------------


@dataclass(frozen=True)
class ChangedPlanRow:
    """What the list shows of a changed plan (not its text)."""

    id: int
    space_id: int
    title: str
    updated_at: datetime


@dataclass(frozen=True)
class ChangedPlan:
    plan: ChangedPlanRow
    space_name: str
    editor_name: str


NEVER = datetime(1970, 1, 1)  # a last visit before any plan was saved


def _news_spaces(person_id: Any, platform_id: Any, course_id: Any) -> sa.ColumnElement[bool]:
    """The spaces whose changes this course's dashboard shows: the course's own space and
    the person's team spaces (another course's changes belong on that course's dashboard).
    """
    return sa.and_(
        Space.id.in_(visible_space_ids(person_id, platform_id)),
        sa.or_(Space.course_id == services.course_space_course(course_id),
               Space.kind == SpaceKind.TEAM),
    )


def _changed_statement(person_id: Any, platform_id: Any, course_id: Any) -> sa.Select:
    """Plans others saved since this person last opened their space or this course's
    dashboard (all of them if never), newest first.

    Only the columns the list shows (not the plans' text). Each space is joined to the
    person's visit first, then to its plans saved after that visit: a join condition the
    index on ``plan (space_id, updated_at)`` answers, space by space.
    """
    editor = sa.orm.aliased(Person)
    visit = sa.orm.aliased(SpaceMember)
    return (
        sa.select(Plan.id, Plan.space_id, Plan.title, Plan.updated_at, Space.name, editor)
        .select_from(Space)
        .outerjoin(visit, sa.and_(visit.space_id == Space.id, visit.person_id == person_id))
        .join(Plan, sa.and_(
            Plan.space_id == Space.id,
            Plan.updated_at > sa.func.coalesce(visit.last_visit_at, NEVER),
        ))
        .outerjoin(editor, editor.id == Plan.updated_by_id)
        .where(
            _news_spaces(person_id, platform_id, course_id),
            Plan.archived.is_(False),
            Plan.updated_by_id.is_not(None),
            Plan.updated_by_id != person_id,
        )
        .order_by(Plan.updated_at.desc(), Plan.id.desc())
    )


def _changed_items(rows: list[Any]) -> list[ChangedPlan]:
    return [
        ChangedPlan(ChangedPlanRow(pid, sid, title, updated_at), space_name,
                    who.display_name if who else "A former member")
        for pid, sid, title, updated_at, space_name, who in rows
    ]


def _changed_seen(person_id: int, platform_id: int, course_id: int, read_at: datetime) -> None:
    """The course dashboard showed the changes: they are not new any more (issue 16).

    A visit is stamped to every space the section covers, at the moment the
    section was read, so that a plan saved while the page was being made stays new.
    """
    spaces = db.session.scalars(
        sa.select(Space.id).where(_news_spaces(person_id, platform_id, course_id))
    ).all()
    services.record_visits(person_id, spaces, read_at)


CHANGED = NewsSection(
    name="changed-plans", order=30, statement=_changed_statement, load=_changed_items,
    template="planning/_news_changed.html", seen=_changed_seen,
)


# --- "What's new": invitations to team spaces -----------------------------------------------


@dataclass(frozen=True)
class Invitation:
    member_id: int
    space_name: str
    inviter_name: str


def _invitations_statement(person_id: Any, platform_id: Any, course_id: Any) -> sa.Select:
    """The person's open invitations to team spaces (of any course), newest first."""
    inviter = sa.orm.aliased(Person)
    return (
        sa.select(SpaceMember.id, Space.name, inviter)
        .join(Space, Space.id == SpaceMember.space_id)
        .outerjoin(inviter, inviter.id == SpaceMember.invited_by_id)
        .where(
            SpaceMember.person_id == person_id,
            SpaceMember.status == MemberStatus.INVITED,
            Space.kind == SpaceKind.TEAM,
            Space.platform_id == platform_id,
        )
        .order_by(SpaceMember.id.desc())
    )


def _invitation_items(rows: list[Any]) -> list[Invitation]:
    return [
        Invitation(member_id, space_name, who.display_name if who else "A former member")
        for member_id, space_name, who in rows
    ]


INVITATIONS = NewsSection(
    name="invitations", order=5, statement=_invitations_statement, load=_invitation_items,
    template="planning/_news_invitations.html",
)


# --- the dashboard panel --------------------------------------------------------------------


def _panel(ctx) -> str:  # type: ignore[no-untyped-def]
    space = services.ensure_course_space(ctx.course, ctx.person)
    return render_template("planning/_panel.html", ctx=ctx, course_space_id=space.id)


PANEL = Panel(name="planning", order=10, render=_panel)


def init_app(app: Flask) -> None:
    registry.register_kind(app, SPACE)
    registry.register_kind(app, PLAN)
    registry.register_news(app, CHANGED)
    registry.register_news(app, INVITATIONS)
    registry.register_panel(app, PANEL)
    registry.register_nav(app, registry.NavLink("planning", 10, "Planning spaces",
                                                "courses.planning.index"))
