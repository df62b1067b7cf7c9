"""Who may do what in a course: stated once, tested as a matrix.

A person's course roles come from the LMS (launch or roster). Staff (instructors,
teaching assistants, designers, course administrators) use Staffroom; learners
and everyone else get nothing. Feature packages add their permissions here so
that the whole rule set reads in one place.
"""

from __future__ import annotations

from enum import StrEnum

from lti_tool.lti.roles import STAFF_ROLES, CourseRole


class Permission(StrEnum):
    VIEW_COURSE_DASHBOARD = "view_course_dashboard"
    VIEW_COURSE_TEAM = "view_course_team"
    REFRESH_ROSTER = "refresh_roster"


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
