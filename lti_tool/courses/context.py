"""The course context of a request after the launch: who is here, in which course.

The launch proved, once, that this browser belongs to a person in a course;
the signed session remembers that per course (teachers open several courses
in tabs). Each request rebuilds the context from the database, so a membership
the roster has since removed stops working at once.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import session

from lti_tool.courses.models import Course, Membership, Person
from lti_tool.courses.policy import Permission, permissions_for
from lti_tool.extensions import db
from lti_tool.lti.models import Deployment, Platform
from lti_tool.lti.roles import CourseRole, roles_from_names

SESSION_KEY = "courses"
PERSON_KEY = "person"  # whose session this is (set by every valid launch)
MAX_COURSES_IN_SESSION = 20


@dataclass(frozen=True)
class CourseContext:
    course: Course
    person: Person
    membership: Membership
    roles: frozenset[CourseRole]
    permissions: frozenset[Permission]

    @property
    def is_staff(self) -> bool:
        return self.membership.active and self.membership.is_staff

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions


NAME_KEY = "who"  # the display name of the person the session belongs to
PREVIOUS_KEY = "previous"  # who had this browser before, for a while (see below)
SWITCH_NOTICE_SECONDS = 30 * 60


def start_person_session(person_id: int, name: str | None = None) -> None:
    """After a valid launch: this browser session now belongs to ``person_id`` alone.

    A shared classroom computer passes from one person to the next in the same LMS
    (and so in the same partitioned cookie jar): when someone else launches, the
    previous person's courses, pending deep link and form tokens are dropped, so
    that a pupil who opens Staffroom after a teacher cannot reach the teacher's
    courses.

    What is kept of the previous person is their name, the time, and their form
    token: a form they left open in another tab is then refused with a page that
    says who is signed in now and gives their text back (never saved under the new
    person's name), and every page says for a while who was here before.
    """
    courses = session.get(SESSION_KEY) or {}
    if any(entry.get("p") != person_id for entry in courses.values()) or (
        session.get(PERSON_KEY, person_id) != person_id
    ):
        previous = {
            "name": session.get(NAME_KEY) or "Someone else",
            "csrf": session.get("csrf_token"),
            "at": int(time.time()),
        }
        session.clear()
        session[PREVIOUS_KEY] = previous
    session[PERSON_KEY] = person_id
    if name:
        session[NAME_KEY] = name


def identity_switch() -> dict[str, object] | None:
    """Who was signed in on this browser before the current person, if that was recent."""
    previous = session.get(PREVIOUS_KEY)
    if not isinstance(previous, dict):
        return None
    if time.time() - int(previous.get("at") or 0) > SWITCH_NOTICE_SECONDS:
        return None
    at = datetime.fromtimestamp(int(previous.get("at") or 0), UTC).replace(tzinfo=None)
    return {"previous": str(previous.get("name")), "current": session.get(NAME_KEY),
            "at": at, "csrf": previous.get("csrf")}


def membership_key(platform_id: int, sub: str, context_id: str) -> str:
    """Who in which course, as the LMS names them, in a few characters.

    The session names a course and a person by their row ids; on SQLite a row id
    can come back for another row once the rows above it were deleted (a platform
    deleted and registered again). The session also keeps this key, and a course
    context whose rows no longer match it is not opened.
    """
    text = f"{platform_id}\x00{sub}\x00{context_id}"
    return hashlib.sha256(text.encode()).hexdigest()[:24]


# The launch's return URL ("back to the course") is kept for the few courses launched last,
# and only when short enough: the session cookie must stay well under 4 kB.
RETURN_URL_LIMIT = 512
RETURN_URLS_KEPT = 3


def remember_course(course_id: int, person_id: int, key: str, locale: str | None = None,
                    return_url: str | None = None) -> None:
    """Bind this browser session to a person in a course after a valid launch.

    ``locale`` is the launch's, as Babel names it: the course's pages follow it.
    ``return_url`` is where "Back to the course" goes (already checked: see
    :func:`lti_tool.courses.launch.return_link`).
    """
    start_person_session(person_id)
    courses = dict(session.get(SESSION_KEY, {}))
    entry: dict[str, object] = {"p": person_id, "k": key, "at": int(time.time())}
    if locale:
        entry["l"] = locale
    if return_url and len(return_url) <= RETURN_URL_LIMIT:
        entry["r"] = return_url
    courses[str(course_id)] = entry
    by_age = sorted(courses.items(), key=lambda kv: kv[1]["at"])
    if len(courses) > MAX_COURSES_IN_SESSION:
        by_age = by_age[-MAX_COURSES_IN_SESSION:]
    courses = {
        cid: e if i >= len(by_age) - RETURN_URLS_KEPT or "r" not in e
        else {k: v for k, v in e.items() if k != "r"}
        for i, (cid, e) in enumerate(by_age)
    }
    session[SESSION_KEY] = courses
    session.permanent = True


# Built once: every course page runs it, and a reused statement keeps its SQLAlchemy
# cache key, so no statement is constructed per request. A course is open only while
# its platform and the deployment it was last launched from are registered and active:
# disabling either on the admin page ends every session in it at the next request.
_CONTEXT = (
    sa.select(Membership, Course, Person)
    .join(Course, Membership.course_id == Course.id)
    .join(Person, Membership.person_id == Person.id)
    .join(Platform, Platform.id == Course.platform_id)
    .join(Deployment, Deployment.id == Course.deployment_id)
    .where(
        Membership.course_id == sa.bindparam("course_id"),
        Membership.person_id == sa.bindparam("person_id"),
        Platform.active.is_(True),
        Deployment.active.is_(True),
    )
)


def launched_into(course_id: int) -> bool:
    """Has this browser session launched into this course (whatever it may do there now)?"""
    return str(course_id) in (session.get(SESSION_KEY) or {})


def course_locale(course_id: int) -> str | None:
    """The locale of the launch that opened this course in this session."""
    entry = session.get(SESSION_KEY, {}).get(str(course_id)) or {}
    locale = entry.get("l")
    return locale if isinstance(locale, str) else None


def course_return_url(course_id: int) -> str | None:
    """Where "Back to the course" goes for this course: the launch's return URL, if kept."""
    entry = session.get(SESSION_KEY, {}).get(str(course_id)) or {}
    url = entry.get("r")
    return url if isinstance(url, str) else None


def load_course_context(course_id: int) -> CourseContext | None:
    """The context for this course if this session launched into it; else None."""
    entry = session.get(SESSION_KEY, {}).get(str(course_id))
    if not entry:
        return None
    row = db.session.execute(
        _CONTEXT, {"course_id": course_id, "person_id": entry["p"]}
    ).first()
    if row is None:
        return None
    membership, course, person = row
    expected = membership_key(course.platform_id, person.sub, course.context_id)
    if not hmac.compare_digest(str(entry.get("k", "")), expected):
        return None  # the ids now name other rows (or the session predates the key)
    return course_context(*row)


def course_context(membership: Membership, course: Course, person: Person) -> CourseContext:
    """The context of a person's membership in a course, as read from the database."""
    roles = roles_from_names(membership.roles)
    return CourseContext(
        course=course,
        person=person,
        membership=membership,
        roles=roles,
        permissions=permissions_for(roles, active=membership.active),
    )
