"""Every Canvas and Moodle message shape in tests/fixtures launches with the right people.

The samples are the decoded id_tokens and login initiations each LMS sends (see
tests/fixtures/README.md for their quirks). The test platform signs each one
as-is, with fresh times and the nonce of a real login, and launches it.
"""

from __future__ import annotations

import html
import re

import pytest

from lti_tool.courses.models import Course, Membership, Person
from lti_tool.extensions import db
from lti_tool.lti.models import Platform
from tests.conftest import LtiFlow, auth_request_url, landed_in, register
from tests.support.platform import TestPlatform, load_fixture

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"

# sample, login initiation, expected (sub, name, email, context id, course title, staff?)
SAMPLES = [
    ("canvas-resource-link-instructor", "canvas-login-initiation",
     ("5f0c8e2a-7b3d-4c1e-9a6f-2d8b0e4c7a13", "Jordan Rivera", "j.rivera@northwind.example.edu",
      "c4b9e2f7a1d3586e0b2f4a6c8d1e3f5a7b9c0d2e", "Introductory Chemistry (Fall 2025)", True)),
    ("canvas-resource-link-learner", "canvas-login-initiation",
     ("b2e4d6f8-1a3c-4e5b-8d7f-9c0a2b4d6e8f", "Amara Okoye",
      "amara.okoye@students.northwind.example.edu",
      "c4b9e2f7a1d3586e0b2f4a6c8d1e3f5a7b9c0d2e", "Introductory Chemistry (Fall 2025)", False)),
    ("canvas-deep-linking-request", "canvas-login-initiation",
     ("5f0c8e2a-7b3d-4c1e-9a6f-2d8b0e4c7a13", "Jordan Rivera", "j.rivera@northwind.example.edu",
      "c4b9e2f7a1d3586e0b2f4a6c8d1e3f5a7b9c0d2e", "Introductory Chemistry (Fall 2025)", True)),
    ("moodle-resource-link-instructor", "moodle-login-initiation",
     ("318", "Morgan Okafor", "m.okafor@riverbend.example.ac.uk", "58",
      "Introductory Chemistry", True)),
    ("moodle-resource-link-learner", "moodle-login-initiation",
     ("1207", None, None, "58", "Introductory Chemistry", False)),
    ("moodle-deep-linking-request", "moodle-login-initiation",
     ("318", "Morgan Okafor", "m.okafor@riverbend.example.ac.uk", "58",
      "Introductory Chemistry", True)),
]


def platform_for(sample: str, key_server) -> TestPlatform:
    body = load_fixture(sample)
    lms = sample.split("-")[0]
    tp = TestPlatform(
        issuer=body["iss"],
        client_id=body["aud"],
        deployment_ids=[body[CLAIM + "deployment_id"]],
        key_server=key_server,
        name={"canvas": "Northwind Canvas", "moodle": "Riverbend Moodle"}[lms],
        auth_login_url={
            "canvas": "https://sso.canvaslms.com/api/lti/authorize_redirect",
            "moodle": "https://learn.riverbend.example.ac.uk/mod/lti/auth.php",
        }[lms],
    )
    register(tp)
    return tp


@pytest.mark.parametrize(("sample", "login", "expected"), SAMPLES, ids=[s[0] for s in SAMPLES])
def test_lms_sample_launches(client, key_server, sample, login, expected):
    sub, name, email, context_id, title, staff = expected
    tp = platform_for(sample, key_server)
    flow = LtiFlow(client, tp)
    target = load_fixture(sample)[CLAIM + "target_link_uri"]
    resp = flow.login(fixture=login, target_link_uri=target)
    # Canvas offers its platform storage (lti_storage_target): a page stores the state first.
    assert resp.status_code == (200 if "canvas" in sample else 302), resp.get_data(as_text=True)
    auth = dict(re.findall(r"[?&]([^=&]+)=([^&]*)", auth_request_url(resp)))
    flow.state, flow.nonce = auth["state"], auth["nonce"]

    resp = flow.launch(sample)

    page = html.unescape(resp.get_data(as_text=True))
    person = db.session.scalars(db.select(Person)).one()
    course = db.session.scalars(db.select(Course)).one()
    membership = db.session.scalars(db.select(Membership)).one()
    assert (person.sub, person.name, person.email) == (sub, name, email)
    assert (course.context_id, course.title) == (context_id, title)
    assert membership.is_staff is staff
    assert membership.is_learner is (not staff)
    if "deep-linking" in sample:
        assert resp.status_code == 200
        assert "Add Staffroom content to your course" in page
    elif staff:
        dashboard = client.get(landed_in(resp))
        assert title in html.unescape(dashboard.get_data(as_text=True))
    else:
        assert resp.status_code == 200
        assert "Staffroom is for your teachers" in page


def test_canvas_teacher_with_institution_student_role_is_staff(client, key_server):
    tp = platform_for("canvas-resource-link-instructor", key_server)
    flow = LtiFlow(client, tp)
    flow.start("canvas-login-initiation")
    assert flow.launch("canvas-resource-link-instructor").status_code == 200
    membership = db.session.scalars(db.select(Membership)).one()
    assert membership.roles == "instructor"


def test_canvas_admin_without_membership_gets_no_course_access(client, key_server):
    tp = platform_for("canvas-resource-link-instructor", key_server)
    flow = LtiFlow(client, tp)
    flow.start("canvas-login-initiation")
    roles = [
        "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator",
        "http://purl.imsglobal.org/vocab/lis/v2/system/person#SysAdmin",
    ]
    resp = flow.launch("canvas-resource-link-instructor", roles=roles)
    assert resp.status_code == 200
    page = html.unescape(resp.get_data(as_text=True))
    assert "You are not on this course's staff" in page
    assert "As an LMS administrator" in page
    course_id = db.session.scalars(db.select(Course.id)).one()
    assert client.get(f"/courses/{course_id}/").status_code == 403
    membership = db.session.scalars(db.select(Membership)).one()
    assert membership.active is False


def test_launches_teach_the_tool_where_canvas_frames_it(client, key_server):
    tp = platform_for("canvas-resource-link-instructor", key_server)
    flow = LtiFlow(client, tp)
    flow.start("canvas-login-initiation")
    resp = flow.launch("canvas-resource-link-instructor")
    platform = db.session.scalars(db.select(Platform)).one()
    assert "https://northwind.instructure.com" in platform.frame_origins
    page = client.get(landed_in(resp))
    csp = page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in csp
    assert "https://northwind.instructure.com" in csp
    assert "https://canvas.instructure.com" in csp


def test_moodle_sixty_second_token_is_accepted_within_its_lifetime(client, key_server):
    tp = platform_for("moodle-resource-link-instructor", key_server)
    flow = LtiFlow(client, tp)
    flow.start("moodle-login-initiation")
    body = tp.payload("moodle-resource-link-instructor", nonce=flow.nonce)
    assert body["exp"] - body["iat"] == 60
    assert flow.post_launch(tp.sign(body)).status_code == 200
