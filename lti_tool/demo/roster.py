"""The practice LMS's two courses and the people enrolled in them.

The roster is data, not database rows: the practice LMS is a platform, and a
platform's users live on the platform's side. Staffroom learns about them the
way it learns about Canvas or Moodle users: through launches, and through the
course rosters the practice LMS serves (Names and Role Provisioning, ``nrps.py``).

Each member has two identifiers, as real platforms do: ``user_id`` is the LMS's
own id, sent as the ``login_hint`` (like Canvas's LTI 1.1 id or Moodle's user
id), and ``sub`` is the stable LTI 1.3 user id in the id_token (a UUID, like
Canvas). The tool must treat the first as opaque and key people by the second.
"""

from __future__ import annotations

import unicodedata
import uuid
from dataclasses import dataclass
from enum import StrEnum

from lti_tool.lti.roles import INSTITUTION, MEMBERSHIP

EMAIL_DOMAIN = "practice-school.example"
# Fixed, so that every learner keeps the same ``sub`` across restarts, ports and machines.
SUB_NAMESPACE = uuid.UUID("6f1b1f0e-5a8e-4c1e-9a47-6c2d1b8f3e55")


class Role(StrEnum):
    TEACHER = "teacher"
    TEACHING_ASSISTANT = "teaching assistant"
    LEARNER = "learner"


ROLE_URIS: dict[Role, tuple[str, ...]] = {
    # Canvas sends an institution role next to the course role; Staffroom must ignore it.
    Role.TEACHER: (MEMBERSHIP + "#Instructor", INSTITUTION + "Instructor"),
    Role.TEACHING_ASSISTANT: (MEMBERSHIP + "/Instructor#TeachingAssistant",),
    Role.LEARNER: (MEMBERSHIP + "#Learner", INSTITUTION + "Student"),
}


@dataclass(frozen=True)
class Member:
    """One person of the practice LMS, enrolled in one or both of its courses."""

    user_id: str
    given_name: str
    family_name: str
    role: Role
    courses: tuple[str, ...]
    """The context ids of the courses this person is enrolled in, with ``role`` in each."""

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def sub(self) -> str:
        return str(uuid.uuid5(SUB_NAMESPACE, self.user_id))

    @property
    def email(self) -> str:
        return f"{_ascii(self.given_name)}.{_ascii(self.family_name)}@{EMAIL_DOMAIN}"

    @property
    def roles(self) -> list[str]:
        return list(ROLE_URIS[self.role])

    @property
    def is_staff(self) -> bool:
        return self.role is not Role.LEARNER

    @property
    def launch_label(self) -> str:
        """The text of this person's launch button, e.g. "Launch as teacher (Amara Okafor)"."""
        return f"Launch as {self.role} ({self.name})"

    def enrolled_in(self, course: CourseInfo) -> bool:
        return course.context_id in self.courses


def _ascii(text: str) -> str:
    """An e-mail-safe lower-case form of a name: "García" -> "garcia", "O'Brien" -> "obrien"."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalnum())


COURSE_OFFERING = "http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"


@dataclass(frozen=True)
class CourseInfo:
    context_id: str
    label: str
    title: str
    context_type: str = COURSE_OFFERING

    @property
    def resource_link_id(self) -> str:
        """The course navigation item that opens Staffroom (one per course, as Canvas's
        course_navigation placement gives)."""
        return f"{self.context_id}-staffroom"


COURSE = CourseInfo(context_id="practice-science-8", label="SCI 8", title="Year 8 Science")
# A second class that shares about half its learners with the first, taught by Tomasz Nowak
# (who teaches both) and Daniel Osei (who teaches only this one): "our learners" across
# courses, and a teacher of another course, to try after ``make run``.
SECOND_COURSE = CourseInfo(
    context_id="practice-history-8", label="HIS 8", title="Year 8 History"
)
COURSES: tuple[CourseInfo, ...] = (COURSE, SECOND_COURSE)

RESOURCE_LINK_ID = COURSE.resource_link_id
RESOURCE_LINK_TITLE = "Staffroom"

SCIENCE, HISTORY = (COURSE.context_id,), (SECOND_COURSE.context_id,)
BOTH = SCIENCE + HISTORY


def _m(user_id: str, given: str, family: str, role: Role,
       courses: tuple[str, ...] = SCIENCE) -> Member:
    return Member(user_id=user_id, given_name=given, family_name=family, role=role,
                  courses=courses)


T, TA, L = Role.TEACHER, Role.TEACHING_ASSISTANT, Role.LEARNER

ROSTER: tuple[Member, ...] = (
    _m("1001", "Amara", "Okafor", T),
    _m("1002", "Tomasz", "Nowak", T, BOTH),
    _m("1003", "Priya", "Raman", T),
    _m("1004", "Sam", "Whitfield", TA),
    _m("1005", "Daniel", "Osei", T, HISTORY),
    _m("2001", "Aisha", "Khan", L, BOTH),
    _m("2002", "Mateo", "García", L, BOTH),
    _m("2003", "Chloe", "Martin", L, BOTH),
    _m("2004", "Kwame", "Mensah", L, BOTH),
    _m("2005", "Yuki", "Tanaka", L, BOTH),
    _m("2006", "Liam", "O'Brien", L, BOTH),
    _m("2007", "Fatima", "Haddad", L, BOTH),
    _m("2008", "Noah", "Schmidt", L, BOTH),
    _m("2009", "Zara", "Ahmed", L, BOTH),
    _m("2010", "Oliver", "Brown", L, BOTH),
    _m("2011", "Sofia", "Rossi", L, BOTH),
    _m("2012", "Ethan", "Nguyen", L, BOTH),
    _m("2013", "Amelia", "Kowalski", L),
    _m("2014", "Ibrahim", "Diallo", L),
    _m("2015", "Grace", "Liu", L),
    _m("2016", "Leo", "Jansen", L),
    _m("2017", "Maya", "Patel", L),
    _m("2018", "Jonah", "Cohen", L),
    _m("2019", "Isla", "MacDonald", L),
    _m("2020", "Arjun", "Singh", L),
    _m("2021", "Hana", "Kim", L),
    _m("2022", "Lucas", "Silva", L),
    _m("2023", "Emily", "Walsh", L),
    _m("2024", "Tariq", "Rahman", L),
    _m("2025", "Nia", "Roberts", L),
    _m("2026", "Omar", "Farouk", L, HISTORY),
    _m("2027", "Ella", "Fischer", L, HISTORY),
    _m("2028", "Kofi", "Asante", L, HISTORY),
    _m("2029", "Mia", "Lindqvist", L, HISTORY),
    _m("2030", "Ravi", "Kapoor", L, HISTORY),
    _m("2031", "Lucy", "Evans", L, HISTORY),
    _m("2032", "Diego", "Torres", L, HISTORY),
    _m("2033", "Anya", "Petrova", L, HISTORY),
    _m("2034", "Samuel", "Okoro", L, HISTORY),
    _m("2035", "Freya", "Murphy", L, HISTORY),
    _m("2036", "Jamal", "Hassan", L, HISTORY),
    _m("2037", "Lily", "Chen", L, HISTORY),
    _m("2038", "Ben", "Carter", L, HISTORY),
)

_BY_USER_ID = {m.user_id: m for m in ROSTER}
_BY_CONTEXT_ID = {c.context_id: c for c in COURSES}


def find_member(user_id: str | None) -> Member | None:
    """The member with this LMS user id (the login hint), or None."""
    return _BY_USER_ID.get(user_id or "")


def find_course(context_id: str | None) -> CourseInfo | None:
    """The course with this context id, or None."""
    return _BY_CONTEXT_ID.get(context_id or "")


def enrolled(course: CourseInfo = COURSE) -> list[Member]:
    """Everyone enrolled in ``course``, staff first, in roster order."""
    return [m for m in ROSTER if m.enrolled_in(course)]


def members(role: Role, course: CourseInfo | None = None) -> list[Member]:
    """The members with this role: in ``course``, or in any course."""
    return [m for m in ROSTER if m.role is role and (course is None or m.enrolled_in(course))]


def featured(course: CourseInfo = COURSE) -> list[Member]:
    """The people offered on a course's home page: every staff member and two learners."""
    people = enrolled(course)
    return [m for m in people if m.is_staff] + [m for m in people if not m.is_staff][:2]


def page_query(member: Member | None, course: CourseInfo) -> dict[str, str]:
    """The query that keeps the chosen person and course from one LMS page to the next.

    The first course is the default and is not named, so its addresses stay as they were.
    """
    query = {"as": member.user_id} if member else {}
    if course != COURSE:
        query["course"] = course.context_id
    return query
