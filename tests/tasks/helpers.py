"""Shared helpers of the tasks, discussion and search tests: launches, spaces, plans, CSRF."""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer

from lti_tool.courses.models import Course, Membership, Person
from lti_tool.extensions import db
from lti_tool.planning.models import MemberStatus, Plan, Space, SpaceKind, SpaceMember
from lti_tool.planning.services import PLAN_KIND, SPACE_KIND, ensure_course_space, index_plan
from lti_tool.tasks.models import Task
from tests.conftest import LtiFlow

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
INSTRUCTOR = LIS + "membership#Instructor"
LEARNER = LIS + "membership#Learner"
COURSE_1 = {"id": "course-1", "label": "BIO 7", "title": "Biology Year 7"}
COURSE_2 = {"id": "course-2", "label": "CHEM 8", "title": "Chemistry Year 8"}


def launch(app, platform, sub: str = "teacher-1", name: str = "Ada Teacher",
           roles: list[str] | None = None, context: dict[str, str] | None = None,
           client: FlaskClient | None = None) -> FlaskClient:
    """A browser (test client) launched into a course as ``sub``."""
    client = client or app.test_client()
    resp = LtiFlow(client, platform).launch(
        sub=sub, name=name, roles=roles or [INSTRUCTOR], context=context or COURSE_1
    )
    assert resp.status_code in (200, 302, 303), resp.get_data(as_text=True)[:500]
    return client


def person(sub: str) -> Person:
    return db.session.scalars(sa.select(Person).filter_by(sub=sub)).one()


def course(context_id: str = "course-1") -> Course:
    return db.session.scalars(sa.select(Course).filter_by(context_id=context_id)).one()


def course_space(context_id: str = "course-1") -> Space:
    return ensure_course_space(course(context_id))


def team_space(name: str, *members: Person, owner: Person | None = None) -> Space:
    space = Space(platform_id=members[0].platform_id, kind=SpaceKind.TEAM, name=name)
    for m in members:
        space.members.append(SpaceMember(person_id=m.id, status=MemberStatus.ACTIVE,
                                         is_owner=(m == (owner or members[0]))))
    db.session.add(space)
    db.session.commit()
    return space


def plan(space: Space, title: str = "Cells unit", body: str = "", tags: str = "",
         author: Person | None = None, objectives: str = "") -> Plan:
    row = Plan(space_id=space.id, title=title, body=body, tags=tags, objectives=objectives,
               created_by_id=author.id if author else None,
               updated_by_id=author.id if author else None)
    db.session.add(row)
    db.session.flush()
    index_plan(row.id, row)
    db.session.commit()
    return row


def task(space: Space, title: str, owner: Person | None, due_on: date | None = None,
         plan_row: Plan | None = None, status: str = "todo") -> Task:
    kind, subject_id = (PLAN_KIND, plan_row.id) if plan_row else (SPACE_KIND, space.id)
    row = Task(subject_kind=kind, subject_id=subject_id, title=title,
               owner_id=owner.id if owner else None, due_on=due_on, status=status)
    db.session.add(row)
    db.session.commit()
    return row


def deactivate(sub: str, context_id: str) -> None:
    """The roster says this person left the course."""
    membership = db.session.scalars(
        sa.select(Membership)
        .join(Person, Person.id == Membership.person_id)
        .join(Course, Course.id == Membership.course_id)
        .where(Person.sub == sub, Course.context_id == context_id)
    ).one()
    membership.active = False
    db.session.commit()


def csrf(client: FlaskClient) -> str:
    """A valid CSRF token for this browser's session, made as Flask-WTF makes it.

    Works for any session (a learner's too), so refusals can be tested with a
    valid token: the refusal then comes from the access rules, not from CSRF.
    """
    app = client.application
    with client.session_transaction() as sess:
        raw = sess.setdefault("csrf_token", secrets.token_hex(20))
    return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)


def post(client: FlaskClient, url: str, data: dict[str, Any]):
    return client.post(url, data={"csrf_token": csrf(client), **data})
