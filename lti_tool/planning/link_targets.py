"""What planning lets a teacher place in the LMS by deep linking (registry ``LinkTarget``).

* ``planning-course:here``: the planning space of the course the link is launched
  from (so a course copied to a new term opens its own, or the space it continues);
* ``space:<id>``: a team space the teacher is an active member of;
* ``plan:<id>``: a unit or a lesson of the course's space or of those team spaces.

Every launch opens them through the space rule (:mod:`lti_tool.planning.policy`):
someone who may not see the space gets a refusal, never the page.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask

from lti_tool.courses import registry
from lti_tool.courses.registry import LinkChoice, LinkTarget
from lti_tool.extensions import db
from lti_tool.planning import services
from lti_tool.planning.models import MemberStatus, Plan, PlanKind, Space, SpaceKind, SpaceMember
from lti_tool.planning.policy import plan_rule, space_access

GROUP = "Planning"
PLACEABLE_PLANS = (PlanKind.UNIT, PlanKind.LESSON)
MAX_PLANS = 300


def _id(key: str) -> int | None:
    return int(key) if key.isascii() and key.isdigit() and len(key) < 10 else None


# --- the course's own space ----------------------------------------------------------------


def _course_choices(ctx: Any) -> list[LinkChoice]:
    return [LinkChoice("planning-course:here", "Planning space of this course", GROUP,
                       "the course's teachers and teaching assistants")]


def _open_course(ctx: Any, key: str) -> tuple[str, dict[str, Any]] | None:
    if key != "here":
        return None
    space = services.ensure_course_space(ctx.course, ctx.person)
    return "courses.planning.space", {"space_id": space.id}


COURSE_SPACE = LinkTarget("planning-course", 10, _course_choices, _open_course)


# --- a team space ------------------------------------------------------------------------------


def _home_course(space_id: int | None) -> int | None:
    if space_id is None:
        return None
    return db.session.scalar(
        sa.select(Space.course_id).where(Space.id == space_id, Space.kind == SpaceKind.COURSE)
    )


def _team_choices(ctx: Any) -> list[LinkChoice]:
    rows = db.session.execute(
        sa.select(Space.id, Space.name)
        .join(SpaceMember, SpaceMember.space_id == Space.id)
        .where(
            SpaceMember.person_id == ctx.person.id,
            SpaceMember.status == MemberStatus.ACTIVE,
            Space.kind == SpaceKind.TEAM,
        )
        .order_by(Space.name, Space.id)
    ).all()
    return [LinkChoice(f"space:{sid}", f"Team space: {name}", GROUP, "its members only")
            for sid, name in rows]


def _open_space(ctx: Any, key: str) -> tuple[str, dict[str, Any]] | None:
    space_id = _id(key)
    if space_id is None or space_access(space_id, ctx.person) is None:
        return None
    return "courses.planning.space", {"space_id": space_id}


TEAM_SPACE = LinkTarget("space", 20, _team_choices, _open_space,
                        home_course=lambda key: _home_course(_id(key)))


# --- a unit or a lesson ------------------------------------------------------------------


def _plan_choices(ctx: Any) -> list[LinkChoice]:
    """Units and lessons of this course's space and of the person's team spaces (one query)."""
    person = ctx.person
    rows = db.session.execute(
        sa.select(Plan.id, Plan.kind, Plan.title, Space.name)
        .join(Space, Space.id == Plan.space_id)
        .where(
            plan_rule(person.id, person.platform_id),
            Plan.kind.in_([k.value for k in PLACEABLE_PLANS]),
            Plan.archived.is_(False),
            sa.or_(Space.course_id == services.course_space_course(ctx.course.id),
                   Space.kind == SpaceKind.TEAM),
        )
        .order_by(Space.kind, Space.name, Plan.kind.desc(), Plan.title, Plan.id)
        .limit(MAX_PLANS)
    ).all()
    label = {PlanKind.UNIT: "Unit", PlanKind.LESSON: "Lesson"}
    return [LinkChoice(f"plan:{pid}", f"{label[PlanKind(kind)]}: {title}", "Units and lessons",
                       space_name) for pid, kind, title, space_name in rows]


def _open_plan(ctx: Any, key: str) -> tuple[str, dict[str, Any]] | None:
    plan_id = _id(key)
    if plan_id is None:
        return None
    person = ctx.person
    space_id = db.session.scalar(
        sa.select(Plan.space_id).where(Plan.id == plan_id, plan_rule(person.id, person.platform_id))
    )
    if space_id is None:
        return None
    return "courses.planning.plan", {"space_id": space_id, "plan_id": plan_id}


def _plan_home(key: str) -> int | None:
    plan_id = _id(key)
    if plan_id is None:
        return None
    return _home_course(db.session.scalar(sa.select(Plan.space_id).where(Plan.id == plan_id)))


PLAN = LinkTarget("plan", 30, _plan_choices, _open_plan, home_course=_plan_home)


def init_app(app: Flask) -> None:
    for target in (COURSE_SPACE, TEAM_SPACE, PLAN):
        registry.register_link_target(app, target)
