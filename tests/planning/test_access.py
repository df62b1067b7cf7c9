"""Who sees and changes a planning space, as a matrix of people × actions.

Outsiders get 404 (they must not learn that a space exists); people the
course area refuses (learners, removed staff) get its 403; members without a
permission get 403.
"""

from __future__ import annotations

import pytest

from lti_tool.courses.models import Membership
from lti_tool.extensions import db
from lti_tool.planning.models import Plan
from tests.planning.conftest import (
    COURSE_2,
    LEARNER,
    TA,
    answer,
    course_space_id,
    create_plan,
    create_team_space,
    invite,
    member_row,
    page,
    person_id,
)

ACTIONS = ("view", "edit", "manage_members")


def attempt(person, space_id: int, action: str, target_member_id: int):  # type: ignore[no-untyped-def]
    base = f"{person.base}/{space_id}"
    if action == "view":
        return person.get(base + "/").status_code
    if action == "edit":
        return person.get(base + "/plans/new?template=builtin:unit").status_code
    return person.post(f"{base}/members/{target_member_id}/remove").status_code


@pytest.fixture
def course_world(people, ada):  # type: ignore[no-untyped-def]
    sid = course_space_id(ada)
    world = {
        "course teacher": ada,
        "teaching assistant": people("ta-1", "Tom Assistant", roles=TA),
        "learner": people("pupil-1", "Pip Pupil", roles=LEARNER),
        "other-course teacher": people("teacher-9", "Ola Elsewhere", context=COURSE_2),
        "removed teacher": people("teacher-3", "Rae Removed"),
    }
    db.session.execute(
        db.update(Membership)
        .where(Membership.person_id == person_id("teacher-3"))
        .values(active=False)
    )
    db.session.commit()
    return sid, world


COURSE_MATRIX = {
    "course teacher": (200, 200, 403),
    "teaching assistant": (200, 200, 403),
    "learner": (403, 403, 403),
    "other-course teacher": (404, 404, 404),
    "removed teacher": (403, 403, 403),
}


@pytest.mark.parametrize("who", list(COURSE_MATRIX))
def test_course_space_matrix(course_world, who):
    sid, world = course_world
    expected = dict(zip(ACTIONS, COURSE_MATRIX[who], strict=True))
    got = {a: attempt(world[who], sid, a, target_member_id=1) for a in ACTIONS}
    assert got == expected


@pytest.fixture
def team_world(people, ada, bo):  # type: ignore[no-untyped-def]
    """Ada owns a team space; Bo and Fay are members, Cy is invited, Dee declined."""
    cy = people("teacher-4", "Cy Invited")
    fay = people("teacher-6", "Fay Member")
    # Dee teaches Chemistry only; Ada teaches it too, so Ada may invite her.
    dee = people("teacher-5", "Dee Declined", context=COURSE_2)
    ada.launch(context=COURSE_2)
    ada.launch()  # back in Biology, where she works
    sid = create_team_space(ada)
    assert invite(ada, sid, "teacher-2", "teacher-4", "teacher-5", "teacher-6").status_code == 303
    assert answer(bo, sid).status_code == 303
    assert answer(fay, sid).status_code == 303
    assert answer(dee, sid, accept=False).status_code == 303
    world = {
        "owner": ada,
        "member": bo,
        "invited": cy,
        "declined": dee,
        "outsider": people("teacher-7", "Eve Outsider"),
        "learner": people("pupil-1", "Pip Pupil", roles=LEARNER),
        "other-course teacher": people("teacher-9", "Ola Elsewhere", context=COURSE_2),
    }
    target = member_row(sid, "teacher-6").id
    db.session.remove()
    return sid, world, target


TEAM_MATRIX = {
    "owner": (200, 200, 303),
    "member": (200, 200, 403),
    "invited": (404, 404, 404),
    "declined": (404, 404, 404),
    "outsider": (404, 404, 404),
    "learner": (403, 403, 403),
    "other-course teacher": (404, 404, 404),
}


@pytest.mark.parametrize("who", list(TEAM_MATRIX))
def test_team_space_matrix(team_world, who):
    sid, world, target = team_world
    expected = dict(zip(ACTIONS, TEAM_MATRIX[who], strict=True))
    got = {a: attempt(world[who], sid, a, target) for a in ACTIONS}
    assert got == expected


def test_writes_need_the_csrf_token(ada):
    sid = course_space_id(ada)
    resp = ada.post(f"{ada.base}/{sid}/plans/new", {"title": "x", "kind": "unit"}, csrf=False)
    assert resp.status_code == 400
    assert db.session.scalar(db.select(db.func.count(Plan.id))) == 0
    resp = ada.post_json(f"{ada.base}/{sid}/drafts", {"plan_key": "new-unit", "data": {}},
                         csrf=False)
    assert resp.status_code == 400


def test_a_plan_of_another_space_is_not_found_through_this_one(ada):
    course_sid = course_space_id(ada)
    team_sid = create_team_space(ada)
    pid = create_plan(ada, team_sid, title="Team unit")
    assert ada.get(f"{ada.base}/{team_sid}/plans/{pid}").status_code == 200
    assert ada.get(f"{ada.base}/{course_sid}/plans/{pid}").status_code == 404
    assert ada.get(f"{ada.base}/{course_sid}/plans/{pid}/edit").status_code == 404


def test_removed_from_roster_loses_access_at_next_launch_and_content_stays(ada, bo):
    sid = course_space_id(ada)
    pid = create_plan(bo, sid, title="Bo's unit")
    assert bo.get(f"{bo.base}/{sid}/").status_code == 200
    bo.launch(roles=LEARNER)  # the LMS now says Bo is no longer teaching this course
    assert bo.get(f"{bo.base}/{sid}/").status_code == 403
    assert bo.get(f"{bo.base}/{sid}/plans/{pid}").status_code == 403
    plan = db.session.get(Plan, pid)
    assert plan.created_by_id == person_id("teacher-2")
    resp = ada.get(f"{ada.base}/{sid}/plans/{pid}")
    assert resp.status_code == 200
    assert "Bo&#39;s unit" in resp.get_data(as_text=True)
    members = page(ada.get(f"{ada.base}/{sid}/members"))
    assert "Ada Teacher" in members
    assert "Bo Colleague" not in members


def test_invitation_answers_belong_to_the_invited_person(people, ada, bo):
    sid = create_team_space(ada)
    invite(ada, sid, "teacher-2")
    member_id = member_row(sid, "teacher-2").id
    db.session.remove()
    eve = people("teacher-7", "Eve Outsider")
    assert eve.post(f"{eve.base}/invitations/{member_id}/accept").status_code == 404
    assert eve.get(f"{eve.base}/{sid}/").status_code == 404
    assert answer(bo, sid).status_code == 303
    # Answered once: the invitation is gone.
    assert bo.post(f"{bo.base}/invitations/{member_id}/decline").status_code == 404
    assert bo.get(f"{bo.base}/{sid}/").status_code == 200


def test_the_member_list_is_exactly_whom_the_space_rule_admits(app, platform):
    """planning's fast member list and the audience derived from the rule never disagree."""
    from flask import current_app

    from lti_tool.courses import registry
    from lti_tool.courses.registry import Subject
    from lti_tool.planning.models import Space
    from tests.tasks.helpers import COURSE_2, LEARNER, course_space, deactivate, launch, person
    from tests.tasks.helpers import team_space as make_team

    launch(app, platform)
    launch(app, platform, sub="teacher-2", name="Ben Colleague")
    launch(app, platform, sub="ta-1", name="Tia Assistant",
           roles=["http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"])
    launch(app, platform, sub="learner-1", name="Lee Learner", roles=[LEARNER])
    launch(app, platform, sub="teacher-3", name="Cy Other", context=COURSE_2)
    deactivate("teacher-2", "course-1")
    spaces = [course_space(), course_space("course-2"),
              make_team("Team", person("teacher-1"), person("teacher-3"))]
    with current_app.test_request_context("/courses/1/"):
        for space in spaces:
            for kind in ("space", "plan"):
                if kind == "plan":
                    from tests.tasks.helpers import plan
                    subject = Subject("plan", plan(db.session.get(Space, space.id)).id)
                else:
                    subject = Subject("space", space.id)
                fast = {m.id for m in registry.audience(subject)}
                derived = {m.id for m in registry.derived_audience(registry.kind(kind),
                                                                   subject.id)}
                assert fast == derived, (space.name, kind)
                assert fast  # somebody is in every space
