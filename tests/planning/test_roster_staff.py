"""Staff known only from the LMS roster, who have never opened Staffroom, take part at once.

Each path that picks a colleague is tried with one: the course team on the dashboard,
inviting to a team space, a task's owner, and the @ suggestions (and the mention itself)
of a discussion. The roster is read over real HTTP from the test platform's services.
"""

from __future__ import annotations

import sqlalchemy as sa

from lti_tool.courses.models import Course, Membership
from lti_tool.courses.roster import sync_roster
from lti_tool.discussion.models import Mention
from lti_tool.extensions import db
from lti_tool.lti.models import Platform
from lti_tool.planning.models import MemberStatus, Plan
from lti_tool.tasks.models import Task
from tests.courses.test_roster import member, serve_roster
from tests.planning.conftest import (
    course_space_id,
    create_team_space,
    invite,
    member_row,
    page,
    person_id,
)

ROSTER = [
    member("teacher-1", "Instructor", name="Ada Teacher"),
    member("roster-ben", "Instructor", name="Ben Roster"),
    member("roster-tia", "TeachingAssistant", name="Tia Roster"),
    member("roster-pip", "Learner", name="Pip Pupil"),
]


def _sync(services) -> None:  # type: ignore[no-untyped-def]
    platform = db.session.scalars(sa.select(Platform)).one()
    platform.auth_token_url = services.url("/token")
    course = db.session.scalars(sa.select(Course).filter_by(context_id="course-1")).one()
    course.nrps_url = services.url("/roster")
    db.session.commit()
    serve_roster(services, ROSTER)
    sync_roster(course)
    never_launched = db.session.scalars(
        sa.select(Membership).where(Membership.person_id == person_id("roster-ben"))
    ).one()
    assert never_launched.last_launch_at is None
    db.session.remove()


def _plan(ada) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    sid = course_space_id(ada)
    unit = Plan(space_id=sid, title="Cells unit", body="")
    db.session.add(unit)
    db.session.commit()
    return sid, unit.id


def test_roster_staff_are_on_the_dashboard_before_their_first_launch(ada, services):
    _sync(services)
    text = page(ada.get(f"/courses/{ada.course_id}/"))
    assert "Ben Roster" in text
    assert "Tia Roster" in text
    assert "Pip Pupil" not in text
    assert "Staff on the course's LMS roster, whether or not" in text


def test_roster_staff_are_in_the_course_space(ada, services):
    _sync(services)
    sid = course_space_id(ada)
    text = page(ada.get(f"{ada.base}/{sid}/members"))
    assert "Ben Roster" in text
    assert "Pip Pupil" not in text


def test_roster_staff_can_be_invited_to_a_team_space(ada, services):
    _sync(services)
    sid = create_team_space(ada)
    text = page(ada.get(f"{ada.base}/{sid}/members"))
    assert "Ben Roster" in text
    assert "Pip Pupil" not in text
    assert invite(ada, sid, "roster-ben").status_code == 303
    assert member_row(sid, "roster-ben").status == MemberStatus.INVITED


def test_roster_staff_can_own_a_task(ada, services):
    _sync(services)
    sid, unit = _plan(ada)
    ben = person_id("roster-ben")
    form = page(ada.get(f"/courses/{ada.course_id}/tasks/new?on=plan:{unit}"))
    assert "Ben Roster" in form
    resp = ada.post(f"/courses/{ada.course_id}/tasks/new?on=plan:{unit}", {
        "title": "Write the lab sheet", "owner_id": str(ben), "due_on": "",
        "next": f"/courses/{ada.course_id}/spaces/{sid}/plans/{unit}",
    })
    assert resp.status_code == 303, page(resp)
    assert db.session.scalars(sa.select(Task)).one().owner_id == ben


def test_roster_staff_are_suggested_and_mentioned(ada, services):
    _sync(services)
    sid, unit = _plan(ada)
    suggestions = ada.get(f"/courses/{ada.course_id}/discussion/plan/{unit}/people").get_json()
    names = {p["name"] for p in suggestions["people"]}
    assert {"Ben Roster", "Tia Roster"} <= names
    assert "Pip Pupil" not in names
    resp = ada.post(f"/courses/{ada.course_id}/discussion/plan/{unit}/comments", {
        "body": "@Ben Roster can you check the lab sheet?",
        "next": f"/courses/{ada.course_id}/spaces/{sid}/plans/{unit}",
    })
    assert resp.status_code == 303, page(resp)
    mentioned = db.session.scalars(sa.select(Mention.person_id)).all()
    assert mentioned == [person_id("roster-ben")]
