"""Who may see and change a planning space: one rule, checked in one place.

* A **course space** belongs to the staff of its course: a person with an
  active staff membership (instructor, teaching assistant, designer) in that
  course, as the last launch or roster refresh said. Learners never are.
* A **team space** belongs to its members: people whose ``SpaceMember`` row is
  ``active``. Invited people see only the invitation. The owner(s) manage members.

Everything else follows: every view of ``lti_tool.planning`` (and of the tasks
and comments that live in a space) loads the space through :func:`load_space`,
which refuses with 404 (an outsider must not learn that a space exists) before
any view code runs, and checks the permission with :func:`require`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from flask import abort

from lti_tool.courses.models import Membership, Person
from lti_tool.extensions import db
from lti_tool.planning.models import MemberStatus, Plan, Space, SpaceKind, SpaceMember


class SpacePermission(StrEnum):
    VIEW = "view"
    EDIT_PLANS = "edit_plans"
    COMMENT = "comment"
    MANAGE_TASKS = "manage_tasks"
    MANAGE_TEMPLATES = "manage_templates"
    MANAGE_MEMBERS = "manage_members"


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


def space_access(space: Space, person: Person) -> SpaceAccess | None:
    """The person's access to the space, or None when they are not a member."""
    if space.platform_id != person.platform_id:
        return None
    member = db.session.scalars(
        db.select(SpaceMember).filter_by(space_id=space.id, person_id=person.id)
    ).first()
    if space.kind == SpaceKind.COURSE:
        staff = db.session.scalar(
            db.select(Membership.id)
            .filter_by(course_id=space.course_id, person_id=person.id)
            .where(Membership.is_active_staff())
        )
        if staff is None:
            return None
        return SpaceAccess(space, person, member, MEMBER_PERMISSIONS)
    if member is None or member.status != MemberStatus.ACTIVE:
        return None
    permissions = OWNER_PERMISSIONS if member.is_owner else MEMBER_PERMISSIONS
    return SpaceAccess(space, person, member, permissions)


def load_space(space_id: int, person: Person) -> SpaceAccess:
    """The space if this person may see it; otherwise 404, whether or not it exists."""
    space = db.session.get(Space, space_id)
    access = space_access(space, person) if space is not None else None
    if access is None:
        abort(404)
    return access


def require(access: SpaceAccess, permission: SpacePermission) -> None:
    if not access.can(permission):
        abort(403)


def load_space_from_request() -> None:
    """``before_request`` for every blueprint whose URLs carry ``<int:space_id>``.

    Sets ``g.space`` (a :class:`SpaceAccess`) for the person of the course
    context, or refuses with 404. Registered by the planning and tasks
    blueprints, which are nested in the course blueprint (so ``g.ctx`` exists).
    """
    from flask import g, request

    space_id = (request.view_args or {}).get("space_id")
    if space_id is not None:
        g.space = load_space(space_id, g.ctx.person)


def load_plan(access: SpaceAccess, plan_id: int) -> Plan:
    """A plan of the space the person may see; a plan of another space is a 404 here."""
    plan = db.session.scalars(
        db.select(Plan).where(Plan.id == plan_id, Plan.space_id == access.space.id)
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
