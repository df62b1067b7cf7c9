"""Team spaces: creating, inviting colleagues from one's courses, answering, leaving, profiles."""

from __future__ import annotations

import sqlalchemy as sa

from lti_tool.extensions import db
from lti_tool.planning import services
from lti_tool.planning.models import MemberStatus, Space, SpaceKind
from tests.planning.conftest import (
    COURSE_2,
    LEARNER,
    TA,
    StatementCounter,
    answer,
    course_space_id,
    create_team_space,
    invite,
    member_row,
    page,
    person_id,
)


def test_course_space_exists_on_first_staff_visit_and_lists_the_course_staff(people, ada):
    people("ta-1", "Tom Assistant", roles=TA)
    people("pupil-1", "Pip Pupil", roles=LEARNER)
    sid = course_space_id(ada)
    space = db.session.get(Space, sid)
    assert space.kind == SpaceKind.COURSE
    assert space.name == "Biology Year 7"
    assert course_space_id(ada) == sid  # the same space on every visit
    text = page(ada.get(f"{ada.base}/{sid}/members"))
    assert "Ada Teacher" in text
    assert "Tom Assistant" in text
    assert "teaching assistant" in text
    assert "Pip Pupil" not in text
    assert "Invite colleagues" not in text  # course spaces follow the roster


def test_create_team_space_makes_the_creator_owner(ada):
    resp = ada.get(f"{ada.base}/new")
    assert resp.status_code == 200
    sid = create_team_space(ada, "Reading PLC")
    owner = member_row(sid, "teacher-1")
    assert owner.is_owner
    assert owner.status == MemberStatus.ACTIVE
    assert "Reading PLC" in page(ada.get(f"{ada.base}/"))


def test_team_space_name_is_required_and_the_description_is_kept(ada):
    resp = ada.post(f"{ada.base}/new", {"name": "  ", "description": "Our department"})
    assert resp.status_code == 422
    text = page(resp)
    assert "Give the space a name" in text
    assert 'aria-describedby="name-hint name-error"' in text
    assert 'aria-invalid="true"' in text
    assert "Our department" in text
    teams = sa.select(sa.func.count(Space.id)).where(Space.kind == SpaceKind.TEAM)
    assert db.session.scalar(teams) == 0


def test_invite_lists_staff_of_all_the_inviters_courses_only(people, ada, bo):
    people("pupil-1", "Pip Pupil", roles=LEARNER)
    people("teacher-5", "Dee Chemistry", context=COURSE_2)
    people("teacher-8", "Gus Stranger", context={"id": "course-3", "title": "Art"})
    ada.launch(context=COURSE_2)
    ada.launch()
    sid = create_team_space(ada)
    text = page(ada.get(f"{ada.base}/{sid}/members"))
    assert "Bo Colleague" in text
    assert "Dee Chemistry" in text
    assert "Pip Pupil" not in text
    assert "Gus Stranger" not in text
    # A person who is not on the list cannot be invited by guessing their id.
    resp = invite(ada, sid, "teacher-8")
    assert resp.status_code == 422
    assert "Choose colleagues from the list" in page(resp)
    resp = ada.post(f"{ada.base}/{sid}/members", {"action": "invite"})
    assert resp.status_code == 422
    assert "Choose at least one colleague" in page(resp)
    assert invite(ada, sid, "teacher-2", "teacher-5").status_code == 303
    assert member_row(sid, "teacher-5").status == MemberStatus.INVITED


def test_invitable_people_is_one_query(people, ada, bo, app):
    for i in range(15):
        people(f"extra-{i}", f"Extra {i}")
    sid = create_team_space(ada)
    space = db.session.get(Space, sid)
    inviter = db.session.get(services.Person, person_id("teacher-1"))
    with StatementCounter() as counter:
        found = services.invitable_people(space, inviter)
    assert len(found) == 16
    assert counter.count == 1


def test_invited_member_accepts_from_the_spaces_page(ada, bo):
    sid = create_team_space(ada, "Year 7 team")
    invite(ada, sid, "teacher-2")
    text = page(bo.get(f"{bo.base}/"))
    assert "Invitations" in text
    assert "Year 7 team" in text
    assert "Accept" in text
    assert bo.get(f"{bo.base}/{sid}/").status_code == 404  # not until accepted
    assert answer(bo, sid).status_code == 303
    assert bo.get(f"{bo.base}/{sid}/").status_code == 200
    assert "Bo Colleague" in page(ada.get(f"{ada.base}/{sid}/members"))


def test_declined_invitation_disappears_and_can_be_renewed(ada, bo):
    sid = create_team_space(ada, "Year 7 team")
    invite(ada, sid, "teacher-2")
    resp = answer(bo, sid, accept=False)
    assert "You declined the invitation" in page(bo.get(resp.headers["Location"]))
    assert "Year 7 team" not in page(bo.get(f"{bo.base}/"))
    assert "Bo Colleague" in page(ada.get(f"{ada.base}/{sid}/members"))  # invitable again
    assert invite(ada, sid, "teacher-2").status_code == 303
    assert member_row(sid, "teacher-2").status == MemberStatus.INVITED


def test_owner_removes_a_member_and_a_member_leaves(people, ada, bo):
    cy = people("teacher-4", "Cy Colleague")
    sid = create_team_space(ada)
    invite(ada, sid, "teacher-2", "teacher-4")
    answer(bo, sid)
    answer(cy, sid)
    bo_member = member_row(sid, "teacher-2").id
    db.session.remove()
    assert ada.post(f"{ada.base}/{sid}/members/{bo_member}/remove").status_code == 303
    assert bo.get(f"{bo.base}/{sid}/").status_code == 404
    assert cy.post(f"{cy.base}/{sid}/leave").status_code == 303
    assert cy.get(f"{cy.base}/{sid}/").status_code == 404
    # The owner cannot remove themselves by the member form (they leave instead).
    ada_member = member_row(sid, "teacher-1").id
    db.session.remove()
    assert ada.post(f"{ada.base}/{sid}/members/{ada_member}/remove").status_code == 400


def test_when_the_last_owner_leaves_the_longest_standing_member_takes_over(ada, bo):
    sid = create_team_space(ada)
    invite(ada, sid, "teacher-2")
    answer(bo, sid)
    assert ada.post(f"{ada.base}/{sid}/leave").status_code == 303
    assert member_row(sid, "teacher-2").is_owner
    db.session.remove()
    assert "Invite colleagues" in page(bo.get(f"{bo.base}/{sid}/members"))


def test_members_edit_their_strengths_shown_in_the_member_list(ada, bo):
    sid = course_space_id(ada)
    resp = bo.post(f"{bo.base}/{sid}/members",
                   {"action": "profile", "profile-strengths": "lab practicals, Spanish"})
    assert resp.status_code == 303
    assert "Strengths: lab practicals, Spanish" in page(ada.get(f"{ada.base}/{sid}/members"))
    resp = bo.post(f"{bo.base}/{sid}/members",
                   {"action": "profile", "profile-strengths": "x" * 501})
    assert resp.status_code == 422
    assert 'aria-invalid="true"' in page(resp)


def test_owner_edits_the_space_details(ada):
    sid = create_team_space(ada)
    resp = ada.post(f"{ada.base}/{sid}/members",
                    {"action": "details", "space-name": "Science department",
                     "space-description": "KS3 science"})
    assert resp.status_code == 303
    assert db.session.get(Space, sid).name == "Science department"
