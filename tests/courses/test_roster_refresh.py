"""The dashboard's "refresh the team from the LMS roster" action."""

from __future__ import annotations

import html
import re

import pytest

from lti_tool.courses import roster
from lti_tool.courses.models import Membership
from lti_tool.extensions import db
from tests.conftest import LtiFlow, register
from tests.support.platform import TestPlatform
from tests.support.services import ServiceServer

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"


@pytest.fixture
def teacher(client, key_server, services) -> LtiFlow:
    tp = TestPlatform(issuer="https://lms.example.test", client_id="client-abc",
                      deployment_ids=["deployment-1"], key_server=key_server,
                      auth_token_url=services.url("/token"))
    register(tp)
    flow = LtiFlow(client, tp)
    nrps = {"context_memberships_url": services.url("/roster"), "service_versions": ["2.0"]}
    assert flow.launch(**{NRPS: nrps}).status_code == 200
    return flow


def _serve(services: ServiceServer, *members: dict) -> None:
    services.serve(f"/roster?limit={roster.PAGE_SIZE}", {"id": "/roster", "members": list(members)})


def _refresh(client):
    page = client.get("/courses/1/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    return client.post("/courses/1/roster/refresh", data={"csrf_token": token},
                       follow_redirects=True)


def test_refresh_adds_the_roster_staff_to_the_team(teacher, services):
    _serve(
        services,
        {"user_id": "teacher-1", "roles": [LIS + "membership#Instructor"], "name": "Ada Teacher"},
        {"user_id": "ta-9", "roles": ["TeachingAssistant"], "name": "Priya Natarajan"},
        {"user_id": "kid-1", "roles": ["Learner"], "name": "Sam Learner"},
    )
    resp = _refresh(teacher.client)
    page = html.unescape(resp.get_data(as_text=True))
    assert resp.status_code == 200
    assert "Roster refreshed from the LMS: 3 members found; 2 added" in page
    assert "Priya Natarajan" in page
    assert "Sam Learner" not in page


def test_teacher_dropped_from_the_roster_loses_access(teacher, services):
    _serve(services, {"user_id": "other-teacher", "roles": ["Instructor"], "name": "Other"})
    _refresh(teacher.client)
    assert teacher.client.get("/courses/1/").status_code == 403


def test_platform_failure_is_reported_and_changes_nothing(teacher, services):
    services.serve(f"/roster?limit={roster.PAGE_SIZE}", {"error": "boom"}, status=500)
    before = [(m.person_id, m.active, m.roles) for m in db.session.scalars(db.select(Membership))]
    page = html.unescape(_refresh(teacher.client).get_data(as_text=True))
    assert "did not give Staffroom the roster" in page
    assert "Nothing was changed" in page
    db.session.expire_all()
    after = [(m.person_id, m.active, m.roles) for m in db.session.scalars(db.select(Membership))]
    assert after == before


def test_refresh_requires_csrf(teacher):
    assert teacher.client.post("/courses/1/roster/refresh").status_code == 400


def test_refresh_is_for_staff_only(teacher, client, key_server):
    LtiFlow(client, teacher.tp).launch(roles=["Learner"])
    assert client.post("/courses/1/roster/refresh").status_code in (400, 403)
    assert client.get("/courses/1/").status_code == 403


def test_no_refresh_button_without_a_roster_service(lti):
    lti.launch()
    assert "Refresh the team" not in lti.client.get("/courses/1/").get_data(as_text=True)
