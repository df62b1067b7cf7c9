"""Who may see and change a planning space: one rule, written once.

* A **course space** belongs to the staff of its course: a person with an
  active staff membership (instructor, teaching assistant, designer) in that
  course, as the last launch or roster refresh said. Learners never are. A course
  a teacher of both linked as its copy (a new term, ``course_copy``) shares it.
* A **team space** belongs to its members: people whose ``SpaceMember`` row is
  ``active``. Invited people see only the invitation. The owner(s) manage members.
* Nothing crosses platforms.

:func:`space_rule` states this once, as a SQL condition on ``space`` for a
person given as two SQL expressions. Everything else comes from it: the
single-space check (:func:`space_access`, and so every view, through
:func:`load_space_from_request`), the plan rule (:func:`plan_rule`), the list
filters of tasks, discussion, search and "what's new" (through the kinds
planning registers, :mod:`lti_tool.planning.kinds`), and who is in a space
(:func:`lti_tool.planning.services.members_of`, held equal to the rule by a test).

Views declare what they need with :func:`lti_tool.courses.policy.requires` and a
:class:`SpacePermission`; plans are loaded with :func:`load_plan`, the one loader.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from flask import abort, g, request

from lti_tool.courses.models import CourseCopy, Membership, Person
from lti_tool.extensions import db
from lti_tool.planning.models import MemberStatus, Plan, Space, SpaceKind, SpaceMember


def space_rule(person_id: Any, platform_id: Any) -> sa.ColumnElement[bool]:
    """The rule: the spaces this person may see (a condition on ``space``)."""
    staff_courses = sa.select(Membership.course_id).where(
        Membership.person_id == person_id, Membership.is_active_staff()
    ).correlate_except(Membership)
    # A course linked as the copy of another (a new term) shares the other's course space.
    continued = sa.select(CourseCopy.source_course_id).where(
        CourseCopy.course_id.in_(staff_courses)
    ).correlate_except(CourseCopy)
    team_spaces = sa.select(SpaceMember.space_id).where(
        SpaceMember.person_id == person_id, SpaceMember.status == MemberStatus.ACTIVE
    ).correlate_except(SpaceMember)
    return sa.and_(
        Space.platform_id == platform_id,
        sa.or_(
            sa.and_(
                Space.kind == SpaceKind.COURSE,
                sa.or_(Space.course_id.in_(staff_courses), Space.course_id.in_(continued)),
            ),
            sa.and_(Space.kind == SpaceKind.TEAM, Space.id.in_(team_spaces)),
        ),
    )


def visible_space_ids(person_id: Any, platform_id: Any) -> sa.Select:
    return sa.select(Space.id).where(space_rule(person_id, platform_id)).correlate_except(Space)


def plan_rule(person_id: Any, platform_id: Any) -> sa.ColumnElement[bool]:
    """A plan is seen by whoever may see its space (a condition on ``plan``)."""
    return Plan.space_id.in_(visible_space_ids(person_id, platform_id))


class SpacePermission(StrEnum):
    VIEW = "view"
    EDIT_PLANS = "edit_plans"
    COMMENT = "comment"
    MANAGE_TASKS = "manage_tasks"
    MANAGE_TEMPLATES = "manage_templates"
    MANAGE_MEMBERS = "manage_members"

    def granted(self) -> bool:
        """For :func:`~lti_tool.courses.policy.requires`: the space of this request allows it."""
        access = g.get("space")
        return access is not None and access.can(self)


MEMBER_PERMISSIONS = frozenset(
    {
        SpacePermission.VIEW,
        SpacePermission.EDIT_PLANS,
        SpacePermission.COMMENT,
        SpacePermission.MANAGE_TASKS,
        SpacePermission.MANAGE_TEMPLATES,
    }
)
OWNER_PERMISSIONS = MEMBER_PERMISSIONS | {SpacePermission.MANAGE_MEMBERS}


@dataclass(frozen=True)
class SpaceAccess:
    """A person's standing in one space, as decided by :func:`space_access`."""

    space: Space
    person: Person
    member: SpaceMember | None
    permissions: frozenset[SpacePermission]

    def can(self, permission: SpacePermission | str) -> bool:
        return permission in self.permissions


def space_access(space_id: int, person: Person) -> SpaceAccess | None:
    """The person's access to the space, or None when the rule does not admit them. One query."""
    row = db.session.execute(
        sa.select(Space, SpaceMember)
        .outerjoin(
            SpaceMember,
            sa.and_(SpaceMember.space_id == Space.id, SpaceMember.person_id == person.id),
        )
        .where(Space.id == space_id, space_rule(person.id, person.platform_id))
    ).first()
    if row is None:
        return None
    space, member = row
    owner = space.kind == SpaceKind.TEAM and member is not None and member.is_owner
    return SpaceAccess(space, person, member, OWNER_PERMISSIONS if owner else MEMBER_PERMISSIONS)


def load_space(space_id: int, person: Person) -> SpaceAccess:
    """The space if this person may see it; otherwise 404, whether or not it exists."""
    access = space_access(space_id, person)
    if access is None:
        abort(404)
    return access


def load_space_from_request() -> None:
    """``before_request`` of the planning blueprint, for every URL with ``<int:space_id>``.

    Sets ``g.space`` (a :class:`SpaceAccess`) for the person of the course
    context, or refuses with 404. The blueprint is nested in the course
    blueprint, so ``g.ctx`` exists.
    """
    space_id = (request.view_args or {}).get("space_id")
    if space_id is not None:
        g.space = load_space(space_id, g.ctx.person)


def load_plan(access: SpaceAccess, plan_id: int) -> Plan:
    """The one plan loader: a plan of the space the person may see; elsewhere it is a 404."""
    plan = db.session.scalars(
        sa.select(Plan).where(Plan.id == plan_id, Plan.space_id == access.space.id)
    ).first()
    if plan is None:
        abort(404)
    return plan


def load_invitation(member_id: int, person: Person) -> SpaceMember:
    """An open invitation addressed to this person (only they may answer it), or 404.

    Invited people are not members yet, so :func:`load_space` refuses them:
    the invitation is reached by its own id instead.
    """
    member = db.session.get(SpaceMember, member_id)
    if (
        member is None
        or member.person_id != person.id
        or member.status != MemberStatus.INVITED
        or member.space.kind != SpaceKind.TEAM
    ):
        abort(404)
    return member
