"""The practice LMS's one course and the people enrolled in it.

The roster is data, not database rows: the practice LMS is a platform, and a
platform's users live on the platform's side. Staffroom only learns about them
the way it learns about Canvas or Moodle users: through launches.

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
    """One person enrolled in the practice course."""

    user_id: str
    given_name: str
    family_name: str
    role: Role

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


def _ascii(text: str) -> str:
    """An e-mail-safe lower-case form of a name: "García" -> "garcia", "O'Brien" -> "obrien"."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalnum())


@dataclass(frozen=True)
class CourseInfo:
    context_id: str
    label: str
    title: str
    context_type: str


COURSE = CourseInfo(
    context_id="practice-science-8",
    label="SCI 8",
    title="Year 8 Science",
    context_type="http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering",
)

# The course navigation item that opens Staffroom (one resource link, as Canvas's
# course_navigation placement gives one per course).
RESOURCE_LINK_ID = "practice-science-8-staffroom"
RESOURCE_LINK_TITLE = "Staffroom"


def _m(user_id: str, given: str, family: str, role: Role) -> Member:
    return Member(user_id=user_id, given_name=given, family_name=family, role=role)


T, TA, L = Role.TEACHER, Role.TEACHING_ASSISTANT, Role.LEARNER

ROSTER: tuple[Member, ...] = (
    _m("1001", "Amara", "Okafor", T),
    _m("1002", "Tomasz", "Nowak", T),
    _m("1003", "Priya", "Raman", T),
    _m("1004", "Sam", "Whitfield", TA),
    _m("2001", "Aisha", "Khan", L),
    _m("2002", "Mateo", "García", L),
    _m("2003", "Chloe", "Martin", L),
    _m("2004", "Kwame", "Mensah", L),
    _m("2005", "Yuki", "Tanaka", L),
    _m("2006", "Liam", "O'Brien", L),
    _m("2007", "Fatima", "Haddad", L),
    _m("2008", "Noah", "Schmidt", L),
    _m("2009", "Zara", "Ahmed", L),
    _m("2010", "Oliver", "Brown", L),
    _m("2011", "Sofia", "Rossi", L),
    _m("2012", "Ethan", "Nguyen", L),
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
)

_BY_USER_ID = {m.user_id: m for m in ROSTER}


def find_member(user_id: str | None) -> Member | None:
    """The member with this LMS user id (the login hint), or None."""
    return _BY_USER_ID.get(user_id or "")


def members(role: Role) -> list[Member]:
    return [m for m in ROSTER if m.role is role]


def featured() -> list[Member]:
    """The people offered on the course home page: every staff member and two learners."""
    return [m for m in ROSTER if m.is_staff] + members(Role.LEARNER)[:2]
