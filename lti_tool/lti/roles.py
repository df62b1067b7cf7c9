"""LTI role URIs -> what they mean for Staffroom.

LTI 1.3 (Core §A.2) has three role vocabularies:

* context (membership) roles: ``http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor``,
  sub-roles such as ``…/membership/Instructor#TeachingAssistant``, and the deprecated
  short names (``Instructor``, ``Learner``) that Moodle's NRPS still sends;
* institution roles: ``…/institution/person#Administrator`` and friends;
* system roles: ``…/system/person#SysAdmin`` and friends.

Only context roles decide course access: a Canvas teacher may also carry
``institution/person#Student``, and an LMS administrator who is not enrolled in
the course has institution/system roles only. Those are kept apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
MEMBERSHIP = LIS + "membership"
INSTITUTION = LIS + "institution/person#"
SYSTEM = LIS + "system/person#"
# Moodle's NRPS sends this non-standard URI for site administrators.
PERSON = LIS + "person#"


class CourseRole(StrEnum):
    INSTRUCTOR = "instructor"
    TEACHING_ASSISTANT = "teaching_assistant"
    CONTENT_DEVELOPER = "content_developer"
    ADMINISTRATOR = "administrator"
    MENTOR = "mentor"
    LEARNER = "learner"
    MANAGER = "manager"
    MEMBER = "member"
    OFFICER = "officer"


STAFF_ROLES = frozenset(
    {
        CourseRole.INSTRUCTOR,
        CourseRole.TEACHING_ASSISTANT,
        CourseRole.CONTENT_DEVELOPER,
        CourseRole.ADMINISTRATOR,
    }
)

ROLE_LABELS = {
    CourseRole.INSTRUCTOR: "teacher",
    CourseRole.TEACHING_ASSISTANT: "teaching assistant",
    CourseRole.CONTENT_DEVELOPER: "course designer",
    CourseRole.ADMINISTRATOR: "course administrator",
    CourseRole.MENTOR: "mentor",
    CourseRole.LEARNER: "learner",
    CourseRole.MANAGER: "manager",
    CourseRole.MEMBER: "member",
    CourseRole.OFFICER: "officer",
}

_CONTEXT_NAMES = {
    "Instructor": CourseRole.INSTRUCTOR,
    "TeachingAssistant": CourseRole.TEACHING_ASSISTANT,
    "ContentDeveloper": CourseRole.CONTENT_DEVELOPER,
    "Administrator": CourseRole.ADMINISTRATOR,
    "Mentor": CourseRole.MENTOR,
    "Learner": CourseRole.LEARNER,
    "Manager": CourseRole.MANAGER,
    "Member": CourseRole.MEMBER,
    "Officer": CourseRole.OFFICER,
}
_ADMIN_NAMES = {"Administrator", "SysAdmin", "SysSupport", "AccountAdmin"}


@dataclass(frozen=True)
class Roles:
    """The roles of one person in one launch, sorted by vocabulary."""

    course: frozenset[CourseRole]
    institution: frozenset[str]
    system: frozenset[str]
    unknown: frozenset[str]

    @property
    def is_staff(self) -> bool:
        """Teaches in this course: instructor, teaching assistant, designer or course admin."""
        return bool(self.course & STAFF_ROLES)

    @property
    def is_learner(self) -> bool:
        return CourseRole.LEARNER in self.course and not self.is_staff

    @property
    def is_platform_admin(self) -> bool:
        """An LMS administrator; this alone grants no course membership."""
        return bool((self.institution | self.system) & _ADMIN_NAMES)

    @property
    def has_course_role(self) -> bool:
        return bool(self.course)

    def course_role_names(self) -> str:
        return " ".join(sorted(self.course))


def parse_roles(values: object) -> Roles:
    """Map the roles claim (a list of URIs or short names) to :class:`Roles`.

    Anything that is not a list of strings counts as no role; unknown URIs are
    kept in ``unknown`` and otherwise ignored, as the certification suite expects.
    """
    course: set[CourseRole] = set()
    institution: set[str] = set()
    system: set[str] = set()
    unknown: set[str] = set()
    items = values if isinstance(values, list) else []
    for raw in items:
        if not isinstance(raw, str):
            continue
        value = raw.strip()
        role = _context_role(value)
        if role is not None:
            course.add(role)
        elif value.startswith(INSTITUTION) or value.startswith(PERSON):
            institution.add(value.rsplit("#", 1)[1])
        elif value.startswith(SYSTEM):
            system.add(value.rsplit("#", 1)[1])
        elif value:
            unknown.add(value)
    return Roles(frozenset(course), frozenset(institution), frozenset(system), frozenset(unknown))


def _context_role(value: str) -> CourseRole | None:
    if value in _CONTEXT_NAMES:  # deprecated short name: a context role (Core §A.2.3.1)
        return _CONTEXT_NAMES[value]
    if not value.startswith(MEMBERSHIP):
        return None
    rest = value[len(MEMBERSHIP) :]
    if rest.startswith("#"):
        return _CONTEXT_NAMES.get(rest[1:])
    if rest.startswith("/") and "#" in rest:
        # Sub-role "membership/Instructor#TeachingAssistant": TA has its own meaning;
        # any other sub-role counts as its principal role.
        principal, sub = rest[1:].split("#", 1)
        if sub == "TeachingAssistant":
            return CourseRole.TEACHING_ASSISTANT
        return _CONTEXT_NAMES.get(principal)
    return None


def roles_from_names(names: str) -> frozenset[CourseRole]:
    """Inverse of :meth:`Roles.course_role_names`, for roles stored on a Membership."""
    return frozenset(CourseRole(n) for n in names.split() if n in CourseRole._value2member_map_)
