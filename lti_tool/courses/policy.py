"""Who may do what in a course, and the one way views declare what they need.

A person's course roles come from the LMS (launch or roster). Staff (instructors,
teaching assistants, designers, course administrators) use Staffroom; learners
and everyone else get nothing. This table is the course's own rule, tested as a
matrix. Each feature states its own rule in its own ``policy`` module (planning:
space membership; observations: the pair; notes: who teaches the learner) and
adds nothing here.

Every view, in every package, declares what it needs with :func:`requires`::

    @bp.get("/")
    @requires(Permission.VIEW_COURSE_DASHBOARD)
    def dashboard(): ...

    @bp.post("/<int:space_id>/plans/<int:plan_id>/archive")
    @requires(SpacePermission.EDIT_PLANS)
    def archive(space_id, plan_id): ...

A need is anything with a ``granted()`` method: this module's :class:`Permission`
asks the course context (``g.ctx``); a feature's permission asks the object its
blueprint loaded for the request (planning's ``g.space``).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import wraps
from typing import Any, Protocol, TypeVar

from flask import abort, g

from lti_tool.lti.roles import STAFF_ROLES, CourseRole


class Need(Protocol):
    """Something a view needs; ``granted()`` answers for the current request."""

    def granted(self) -> bool: ...


class Permission(StrEnum):
    VIEW_COURSE_DASHBOARD = "view_course_dashboard"
    VIEW_COURSE_TEAM = "view_course_team"
    REFRESH_ROSTER = "refresh_roster"

    def granted(self) -> bool:
        ctx = g.get("ctx")
        return ctx is not None and ctx.can(self)


STAFF_PERMISSIONS = frozenset(Permission)

ROLE_PERMISSIONS: dict[CourseRole, frozenset[Permission]] = {
    role: STAFF_PERMISSIONS if role in STAFF_ROLES else frozenset() for role in CourseRole
}


def permissions_for(roles: frozenset[CourseRole], *, active: bool = True) -> frozenset[Permission]:
    """The union of what each role allows; an inactive membership allows nothing."""
    if not active:
        return frozenset()
    granted: set[Permission] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS[role]
    return frozenset(granted)


View = TypeVar("View", bound=Callable[..., Any])


def requires(*needs: Need) -> Callable[[View], View]:
    """Declare what a view needs; a request without it gets 403 before the view runs."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            for need in needs:
                if not need.granted():
                    abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator
