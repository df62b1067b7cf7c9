"""Course access after the launch: who reaches the course area, as a matrix."""

from __future__ import annotations

import pytest

from lti_tool.courses.models import Membership
from lti_tool.courses.policy import Permission, permissions_for
from lti_tool.extensions import db
from lti_tool.lti import registrations
from lti_tool.lti.roles import CourseRole
from tests.conftest import LtiFlow, landed_in
from tests.support.platform import REMOVE

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"


# The expected answers, written out by hand (not computed from the code's own tables):
# the course's staff use Staffroom, everyone else gets nothing.
EXPECTED_STAFF = {"instructor", "teaching_assistant", "content_developer", "administrator"}
EXPECTED_OTHERS = {"learner", "mentor", "manager", "member", "officer"}


def test_every_course_role_has_an_expected_answer():
    assert {r.value for r in CourseRole} == EXPECTED_STAFF | EXPECTED_OTHERS


@pytest.mark.parametrize("role", sorted(EXPECTED_STAFF | EXPECTED_OTHERS))
@pytest.mark.parametrize("permission", list(Permission))
def test_permission_matrix(role, permission):
    allowed = permission in permissions_for(frozenset({CourseRole(role)}))
    assert allowed is (role in EXPECTED_STAFF)
    assert permission not in permissions_for(frozenset({CourseRole(role)}), active=False)


def test_a_learner_who_is_also_a_teaching_assistant_is_staff():
    """Roles add up: one staff role among others is enough."""
    roles = frozenset({CourseRole.LEARNER, CourseRole.TEACHING_ASSISTANT})
    assert permissions_for(roles) == frozenset(Permission)


@pytest.mark.parametrize(
    ("roles", "status"),
    [
        ([LIS + "membership#Instructor"], 200),
        ([LIS + "membership/Instructor#TeachingAssistant"], 200),
        ([LIS + "membership#ContentDeveloper"], 200),
        ([LIS + "membership#Learner"], 403),
        ([LIS + "membership#Mentor"], 403),
        ([LIS + "institution/person#Administrator"], 403),
        ([], 403),
    ],
)
def test_dashboard_access_by_launch_role(lti, roles, status):
    lti.launch(roles=roles)
    assert lti.client.get("/courses/1/").status_code == status


def test_learner_page_offers_nothing_but_the_way_back(lti):
    resp = lti.launch(
        roles=[LIS + "membership#Learner"],
        launch_presentation={"return_url": "https://lms.example.test/course/1"},
    )
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Staffroom is for your teachers" in page
    assert 'href="https://lms.example.test/course/1"' in page
    assert "/courses/" not in page


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "vbscript:x"])
def test_a_return_url_that_is_not_a_web_address_is_not_linked(lti, url):
    resp = lti.launch(
        roles=[LIS + "membership#Learner"], launch_presentation={"return_url": url}
    )
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Staffroom is for your teachers" in page
    assert url.split(":")[0] + ":" not in page


def test_course_area_requires_a_launch(client, app):
    resp = client.get("/courses/1/")
    assert resp.status_code == 401
    assert "Open Staffroom from your course" in resp.get_data(as_text=True)


def test_launch_into_one_course_does_not_open_another(lti, client, platform):
    lti.launch()
    assert client.get("/courses/2/").status_code == 401
    fresh = lti.client.application.test_client()
    assert fresh.get("/courses/1/").status_code == 401


def test_one_person_keeps_every_course_they_launched_into(lti, client, platform):
    lti.launch()
    LtiFlow(client, platform).launch(context={"id": "course-2", "title": "Other"})
    assert client.get("/courses/1/").status_code == 200
    assert client.get("/courses/2/").status_code == 200


@pytest.mark.parametrize(
    "launch",
    [
        {"sub": "pupil-1", "roles": [LIS + "membership#Learner"],
         "context": {"id": "course-2", "title": "Other"}},
        {"sub": "teacher-2", "context": {"id": "course-2", "title": "Other"}},
        {"sub": "teacher-2"},  # the same course
        {"sub": "pupil-1", "roles": [LIS + "membership#Learner"], "context": REMOVE},
    ],
    ids=["pupil-other-course", "teacher-other-course", "teacher-same-course", "no-course"],
)
def test_a_launch_by_someone_else_ends_the_previous_persons_session(
    lti, client, platform, launch
):
    """A shared classroom computer: whoever launches next must not inherit the courses,
    form tokens or pending deep link of the person before them."""
    lti.launch()
    assert client.get("/courses/1/").status_code == 200
    with client.session_transaction() as sess:
        sess["deep_link"] = {"return_url": "https://lms.example.test/dl"}
    resp = LtiFlow(client, platform).launch(**launch)
    assert resp.status_code == 200
    same_course = "context" not in launch
    with client.session_transaction() as sess:
        assert "deep_link" not in sess
        assert set(sess.get("courses", {})) == ({"1"} if same_course else set()) | (
            {"2"} if launch.get("context") not in (None, REMOVE) else set()
        )
    # The previous person's course is closed, unless the newcomer teaches in it too.
    assert client.get("/courses/1/").status_code == (200 if same_course else 401)


def test_removed_membership_loses_access_at_once(lti):
    lti.launch()
    assert lti.client.get("/courses/1/").status_code == 200
    db.session.execute(db.update(Membership).values(active=False))
    db.session.commit()
    assert lti.client.get("/courses/1/").status_code == 403


def test_role_change_at_next_launch_is_applied(lti, client, platform):
    lti.launch()
    LtiFlow(client, platform).launch(roles=[LIS + "membership#Learner"])
    assert client.get("/courses/1/").status_code == 403


def test_dashboard_lists_the_course_team_not_learners(lti, client, platform):
    lti.launch()
    LtiFlow(client, platform).launch(sub="ta-1", name="Tom Assistant",
                                     roles=[LIS + "membership/Instructor#TeachingAssistant"])
    LtiFlow(client, platform).launch(sub="pupil-1", name="Pip Pupil",
                                     roles=[LIS + "membership#Learner"])
    LtiFlow(client, platform).launch()  # back as the teacher
    page = client.get("/courses/1/").get_data(as_text=True)
    assert "Ada Teacher" in page
    assert "Tom Assistant" in page
    assert "teaching assistant" in page
    assert "Pip Pupil" not in page


def test_session_cookie_is_fit_for_a_cross_site_iframe(lti):
    resp = lti.launch()
    cookies = resp.headers.getlist("Set-Cookie")
    (cookie,) = [c for c in cookies if c.startswith("staffroom_session=")]
    attrs = {a.strip().split("=")[0].lower() for a in cookie.split(";")}
    assert {"secure", "httponly", "partitioned"} <= attrs
    assert "SameSite=None" in cookie


def test_security_headers(lti):
    resp = lti.client.get(landed_in(lti.launch()))
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'self' https://lms.example.test" in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Cache-Control"] == "no-store"
    assert "X-Frame-Options" not in resp.headers


def _platform_row():  # type: ignore[no-untyped-def]
    from lti_tool.lti.models import Platform

    return db.session.scalars(db.select(Platform)).one()


@pytest.mark.parametrize(
    "close",
    [
        lambda: registrations.set_active(_platform_row(), False),
        lambda: registrations.remove_deployment(_platform_row(), _platform_row().deployments[0]),
        lambda: _deactivate_deployment(),
    ],
    ids=["platform-disabled", "deployment-removed", "deployment-inactive"],
)
def test_closing_a_registration_ends_open_sessions_at_once(lti, client, close):
    """The administrator disables a platform or removes a deployment: teachers who had
    launched through it lose access at their next request, not when their cookie expires."""
    lti.launch()
    assert client.get("/courses/1/").status_code == 200
    close()
    db.session.remove()
    resp = client.get("/courses/1/")
    assert resp.status_code == 401
    assert "Open Staffroom from your course" in resp.get_data(as_text=True)


def test_reenabling_a_platform_reopens_its_sessions(lti, client):
    lti.launch()
    registrations.set_active(_platform_row(), False)
    assert client.get("/courses/1/").status_code == 401
    registrations.set_active(_platform_row(), True)
    assert client.get("/courses/1/").status_code == 200


def _deactivate_deployment() -> None:
    from lti_tool.lti.models import Deployment

    db.session.execute(db.update(Deployment).values(active=False))
    db.session.commit()


FRAMED = {"Sec-Fetch-Dest": "iframe", "Sec-Fetch-Mode": "navigate"}


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
def test_a_course_page_framed_directly_by_another_site_is_not_shown(lti, client, site):
    """An LMS page anyone can edit may embed a Staffroom URL in an <iframe>: in the LMS's
    cookie partition it would carry the teacher's session (clickjacking)."""
    lti.launch()
    resp = client.get("/courses/1/", headers={**FRAMED, "Sec-Fetch-Site": site})
    assert resp.status_code == 403
    text = resp.get_data(as_text=True)
    assert "placed inside a page of another site" in text
    assert "Ada Teacher" not in text
    assert "csrf_token" not in text


@pytest.mark.parametrize(
    "headers",
    [
        {**FRAMED, "Sec-Fetch-Site": "same-origin"},  # a link or reload inside the frame
        {"Sec-Fetch-Dest": "document", "Sec-Fetch-Site": "cross-site"},  # a link opened top-level
        {**FRAMED, "Sec-Fetch-Site": "none"},  # the browser's own reload
        {},  # a browser without Fetch Metadata
    ],
    ids=["in-frame", "top-level", "browser-initiated", "no-metadata"],
)
def test_course_pages_reached_from_within_the_frame_are_shown(lti, client, headers):
    lti.launch()
    assert client.get("/courses/1/", headers=headers).status_code == 200


def test_the_launch_itself_lands_in_a_cross_site_frame(lti):
    """The launch is the LMS's cross-site POST into its frame: it shows the dashboard."""
    lti.start()
    token = lti.tp.sign(lti.tp.payload(None, nonce=lti.nonce))
    resp = lti.client.post("/lti/launch", data={"state": lti.state, "id_token": token},
                           headers={**FRAMED, "Sec-Fetch-Site": "cross-site"})
    assert landed_in(resp).endswith("/courses/1/")


def test_a_session_whose_ids_now_name_other_rows_opens_nothing(lti, client, platform):
    """On SQLite a deleted row's id can be given again: a platform deleted and registered
    again hands the old ids to other people and courses. A browser that still holds the
    old session must not open the course that now has its id, as the person who now has
    its id."""
    lti.launch()
    with client.session_transaction() as sess:
        entry = sess["courses"]["1"]
    # Another person, in another course, now has the ids the session names.
    from lti_tool.courses.models import Course, Person

    db.session.execute(db.update(Person).values(sub="someone-else-now"))
    db.session.commit()
    assert client.get("/courses/1/").status_code == 401
    db.session.execute(db.update(Person).values(sub="teacher-1"))
    db.session.execute(db.update(Course).values(context_id="another-course-now"))
    db.session.commit()
    assert client.get("/courses/1/").status_code == 401
    db.session.execute(db.update(Course).values(context_id="course-1"))
    db.session.commit()
    assert client.get("/courses/1/").status_code == 200  # the same rows again
    with client.session_transaction() as sess:  # a session from before the key
        sess["courses"] = {"1": {"p": entry["p"], "at": entry["at"]}}
    assert client.get("/courses/1/").status_code == 401
