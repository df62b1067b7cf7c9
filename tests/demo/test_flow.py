"""The whole launch from the practice LMS's course page to Staffroom, as a browser does it."""

from __future__ import annotations

from lti_tool.courses.models import Course, Membership, Person
from lti_tool.demo import roster
from lti_tool.demo.platform import CLIENT_ID, DEPLOYMENT_ID
from lti_tool.extensions import db
from lti_tool.lti.models import Platform
from tests.conftest import landed_in
from tests.demo.conftest import LMS, TOOL, Browser, iframe_src, post_form, query

TEACHER, SECOND_TEACHER, TA, LEARNER = "1001", "1002", "1004", "2001"


def test_course_page_offers_every_kind_of_launch(client):
    resp = client.get(f"{LMS}/demo/")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "<h1>Year 8 Science</h1>" in page
    assert "Practice LMS" in page
    assert 'aria-label="Course"' in page
    assert ">Staffroom</a>" in page
    for label in ("Launch as teacher (Amara Okafor)", "Launch as teacher (Tomasz Nowak)",
                  "Launch as teaching assistant (Sam Whitfield)",
                  "Launch as learner (Aisha Khan)"):
        assert label in page


def test_people_page_lists_the_whole_roster(client):
    page = client.get(f"{LMS}/demo/people").get_data(as_text=True)
    for member in roster.enrolled(roster.COURSE):
        assert member.launch_label.replace("'", "&#39;") in page
    assert "Daniel Osei" not in page
    assert "liam.obrien@practice-school.example" in page
    assert "mateo.garcia@practice-school.example" in page


def test_the_second_course_has_its_own_teacher_and_half_the_learners(client):
    home = client.get(f"{LMS}/demo/?course=practice-history-8").get_data(as_text=True)
    assert "<h1>Year 8 History</h1>" in home
    assert "Launch as teacher (Daniel Osei)" in home
    assert "Amara Okafor" not in home
    assert "staffroom?as=1005&amp;course=practice-history-8" in home
    people = client.get(f"{LMS}/demo/people?course=practice-history-8").get_data(as_text=True)
    science = {m.user_id for m in roster.enrolled(roster.COURSE) if not m.is_staff}
    history = {m.user_id for m in roster.enrolled(roster.SECOND_COURSE) if not m.is_staff}
    assert len(history) >= 25
    assert len(science & history) * 2 in range(len(history) - 3, len(history) + 4)
    assert all(roster.find_member(u).name.replace("'", "&#39;") in people for u in history)


def test_a_teacher_of_one_course_cannot_launch_into_the_other(client):
    resp = client.get(f"{LMS}/demo/staffroom?as=1005")
    assert resp.status_code == 404
    assert "iframe" not in resp.get_data(as_text=True)


def test_opening_the_course_page_registers_the_practice_lms(client):
    client.get(f"{LMS}/demo/")
    platform = db.session.scalars(db.select(Platform)).one()
    assert (platform.name, platform.issuer, platform.client_id) == (
        "Practice LMS", f"{LMS}/demo", CLIENT_ID)
    assert platform.auth_login_url == f"{LMS}/demo/auth"
    assert platform.key_set_url is None
    assert platform.key_set["keys"][0]["kid"]
    assert [d.deployment_id for d in platform.deployments] == [DEPLOYMENT_ID]


def test_the_tool_address_redirects_to_the_lms_address(client):
    resp = client.get(f"{TOOL}/demo/people?as=1001")
    assert resp.status_code == 302
    assert resp.headers["Location"] == f"{LMS}/demo/people?as=1001"
    assert db.session.scalars(db.select(Platform)).first() is None


def test_staffroom_page_frames_the_tool_login_with_initiation_parameters(client):
    resp = client.get(f"{LMS}/demo/staffroom?as={TEACHER}")
    page = resp.get_data(as_text=True)
    assert '<iframe class="lms-frame" title="Staffroom"' in page
    src = iframe_src(page)
    assert src.startswith(f"{TOOL}/lti/login?")
    params = query(src)
    assert params["iss"] == f"{LMS}/demo"
    assert params["login_hint"] == TEACHER
    assert params["target_link_uri"] == f"{TOOL}/lti/launch"
    assert params["client_id"] == CLIENT_ID
    assert params["lti_deployment_id"] == DEPLOYMENT_ID
    assert params["lti_message_hint"]
    csp = resp.headers["Content-Security-Policy"]
    assert f"frame-src 'self' {TOOL}" in csp
    assert "<script>" not in page
    assert " style=" not in page


def test_staffroom_page_without_a_person_asks_who(client):
    resp = client.get(f"{LMS}/demo/staffroom")
    assert resp.status_code == 200
    assert "Who is opening Staffroom?" in resp.get_data(as_text=True)
    unknown = client.get(f"{LMS}/demo/staffroom?as=9999")
    assert unknown.status_code == 404
    assert "nobody with the id" in unknown.get_data(as_text=True)


def test_teacher_lands_on_the_course_dashboard(client, browser):
    resp = browser.launch(TEACHER)
    course = db.session.scalars(db.select(Course)).one()
    assert landed_in(resp) == f"/courses/{course.id}/"
    dashboard = client.get(f"{TOOL}/courses/{course.id}/")
    assert dashboard.status_code == 200
    page = dashboard.get_data(as_text=True)
    assert "Year 8 Science" in page
    assert "Amara Okafor" in page
    person = db.session.scalars(db.select(Person)).one()
    member = roster.find_member(TEACHER)
    assert (person.sub, person.email) == (member.sub, member.email)
    assert (course.context_id, course.label) == ("practice-science-8", "SCI 8")


def test_the_auth_request_goes_to_the_lms_site(browser):
    location = browser.auth_request(TEACHER)
    assert location.startswith(f"{LMS}/demo/auth?")
    params = query(location)
    assert params["redirect_uri"] == f"{TOOL}/lti/launch"
    assert params["login_hint"] == TEACHER


def test_two_teachers_meet_in_the_same_course(app, browser):
    assert browser.launch(TEACHER).status_code == 200
    colleague = Browser(app.test_client())  # another computer: its own cookies
    assert colleague.launch(SECOND_TEACHER).status_code == 200
    course = db.session.scalars(db.select(Course)).one()
    page = colleague.client.get(f"{TOOL}/courses/{course.id}/").get_data(as_text=True)
    assert "Amara Okafor" in page
    assert "Tomasz Nowak" in page


def test_teaching_assistant_reaches_the_dashboard(client, browser):
    resp = browser.launch(TA)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    membership = db.session.scalars(db.select(Membership)).one()
    assert membership.is_staff
    assert membership.roles == "teaching_assistant"
    assert client.get(f"{TOOL}{landed_in(resp)}").status_code == 200


def test_learner_gets_the_staff_only_page(client, browser):
    resp = browser.launch(LEARNER)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Staffroom is for your teachers" in page
    assert f'href="{LMS}/demo/?as={LEARNER}"' in page
    membership = db.session.scalars(db.select(Membership)).one()
    assert membership.is_learner
    assert not membership.is_staff
    course = db.session.scalars(db.select(Course)).one()
    assert client.get(f"{TOOL}/courses/{course.id}/").status_code == 403


def test_the_id_token_cannot_be_replayed(client, browser):
    auth = client.get(browser.auth_request(TEACHER))
    action, fields = post_form(auth.get_data(as_text=True))
    assert client.post(action, data=fields).status_code == 200
    again = client.post(action, data=fields)
    assert again.status_code == 401

