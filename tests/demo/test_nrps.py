"""The practice LMS serves Names and Role Provisioning 2.0: token, pages, differences.

The token requests carry the tool's real client assertion (the connector production
uses); the last tests run the tool's own roster client against the practice LMS over
real HTTP.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from werkzeug.serving import make_server

from lti_tool.demo import nrps, roster
from lti_tool.demo.platform import CLIENT_ID, ensure_registered
from lti_tool.extensions import db
from lti_tool.lti import keys
from lti_tool.lti.models import Platform
from lti_tool.lti.nrps import MEMBERSHIP_CONTAINER, NRPS_SCOPE, fetch_roster
from lti_tool.lti.services import CLIENT_ASSERTION_TYPE, connector_for, link_target
from tests.demo.conftest import LMS

SCIENCE = f"{LMS}/demo/nrps/practice-science-8/memberships"
HISTORY = f"{LMS}/demo/nrps/practice-history-8/memberships"


@pytest.fixture
def platform(client) -> Platform:
    keys.ensure_key()
    client.get(f"{LMS}/demo/")  # registers the practice LMS in the tool
    return db.session.scalars(db.select(Platform)).one()


def token_form(platform: Platform, **changes: str) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_assertion_type": CLIENT_ASSERTION_TYPE,
        "client_assertion": connector_for(platform).client_assertion(),
        "scope": NRPS_SCOPE,
        **changes,
    }


@pytest.fixture
def bearer(client, platform) -> dict[str, str]:
    resp = client.post(f"{LMS}/demo/token", data=token_form(platform))
    assert resp.status_code == 200, resp.get_json()
    return {"Authorization": "Bearer " + resp.get_json()["access_token"]}


def test_token_endpoint_grants_the_roster_scope_to_the_tools_assertion(client, platform):
    resp = client.post(f"{LMS}/demo/token", data=token_form(platform))
    body = resp.get_json()
    assert resp.status_code == 200
    assert (body["token_type"], body["expires_in"], body["scope"]) == ("Bearer", 3600, NRPS_SCOPE)
    assert resp.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("changes", "status", "error"),
    [
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
        ({"client_assertion_type": "secret"}, 400, "invalid_request"),
        ({"client_assertion": ""}, 401, "invalid_client"),
        ({"client_assertion": "a.b.c"}, 401, "invalid_client"),
        ({"scope": "https://purl.imsglobal.org/spec/lti-ags/scope/score"}, 400, "invalid_scope"),
    ],
)
def test_token_endpoint_refuses_bad_requests(client, platform, changes, status, error):
    resp = client.post(f"{LMS}/demo/token", data=token_form(platform, **changes))
    assert (resp.status_code, resp.get_json()["error"]) == (status, error)


def test_a_client_assertion_is_single_use(client, platform):
    form = token_form(platform)
    assert client.post(f"{LMS}/demo/token", data=form).status_code == 200
    again = client.post(f"{LMS}/demo/token", data=form)
    assert again.status_code == 401
    assert "used before" in again.get_json()["error_description"]


def test_an_assertion_for_another_audience_is_refused(client, platform):
    platform.auth_audience = "https://elsewhere.example/token"
    resp = client.post(f"{LMS}/demo/token", data=token_form(platform))
    assert resp.status_code == 401
    assert "aud" in resp.get_json()["error_description"]


@pytest.mark.parametrize("authorization", [None, "Bearer ", "Bearer forged", "Basic abc"])
def test_the_roster_needs_a_token_issued_here(client, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    resp = client.get(SCIENCE, headers=headers)
    assert resp.status_code == 401
    assert resp.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


def test_pages_follow_next_links_to_the_whole_roster(client, bearer):
    seen: list[dict] = []
    url: str | None = f"{SCIENCE}?limit=12"
    pages = 0
    while url:
        resp = client.get(url, headers=bearer)
        assert resp.status_code == 200
        assert resp.content_type == MEMBERSHIP_CONTAINER
        body = resp.get_json()
        assert body["context"]["id"] == "practice-science-8"
        seen += body["members"]
        assert link_target(resp.headers["Link"], url, "differences")
        url = link_target(resp.headers["Link"], url, "next")
        pages += 1
    assert pages == 3  # 29 members, 12 a page
    expected = roster.enrolled(roster.COURSE)
    assert [m["user_id"] for m in seen] == [m.sub for m in expected]
    amara = seen[0]
    assert (amara["name"], amara["status"], amara["email"]) == (
        "Amara Okafor", "Active", "amara.okafor@practice-school.example")
    assert "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor" in amara["roles"]


def test_a_large_limit_is_capped(client, bearer):
    resp = client.get(f"{HISTORY}?limit=1000", headers=bearer)
    assert len(resp.get_json()["members"]) == nrps.MAX_PAGE
    assert 'rel="next"' in resp.headers["Link"]


@pytest.mark.parametrize("query", ["limit=0", "limit=x", "from=-1", "since=yesterday"])
def test_bad_paging_parameters_are_a_clear_400(client, bearer, query):
    resp = client.get(f"{SCIENCE}?{query}", headers=bearer)
    assert resp.status_code == 400
    assert resp.get_json()["error"] == "invalid_request"


def test_role_filter(client, bearer):
    resp = client.get(f"{HISTORY}?role=Instructor", headers=bearer)
    names = [m["name"] for m in resp.get_json()["members"]]
    assert names == ["Tomasz Nowak", "Daniel Osei"]


def test_unknown_course_is_404(client, bearer):
    assert client.get(f"{LMS}/demo/nrps/nope/memberships", headers=bearer).status_code == 404


def test_differences_list_removed_and_re_enrolled_members(client, bearer):
    first = client.get(f"{SCIENCE}?limit=100", headers=bearer)
    differences = link_target(first.headers["Link"], SCIENCE, "differences")
    assert parse_qs(urlsplit(differences).query)["since"]
    assert client.get(differences, headers=bearer).get_json()["members"] == []
    time.sleep(0.002)
    leaver, teacher = roster.find_member("2003"), roster.find_member("1003")
    nrps.set_enrolment(leaver, roster.COURSE, active=False)
    nrps.set_enrolment(teacher, roster.COURSE, active=False)
    nrps.set_enrolment(teacher, roster.COURSE, active=True)
    changed = client.get(differences, headers=bearer).get_json()["members"]
    assert {(m["user_id"], m["status"]) for m in changed} == {
        (teacher.sub, "Active"), (leaver.sub, "Deleted")}
    full = client.get(f"{SCIENCE}?limit=100", headers=bearer).get_json()["members"]
    assert leaver.sub not in {m["user_id"] for m in full}


def test_a_removed_member_cannot_launch_and_the_people_page_says_so(client, browser):
    page = client.get(f"{LMS}/demo/people").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    resp = client.post(f"{LMS}/demo/people/enrolment",
                       data={"csrf_token": token, "member": "1002", "enrol": "0"},
                       follow_redirects=True)
    assert "Tomasz Nowak was removed from Year 8 Science" in resp.get_data(as_text=True)
    assert client.get(f"{LMS}/demo/staffroom?as=1002").status_code == 404
    # ... but still teaches the other course.
    assert client.get(f"{LMS}/demo/staffroom?as=1002&course=practice-history-8").status_code == 200


def test_enrolment_changes_need_the_form_token(client):
    resp = client.post(f"{LMS}/demo/people/enrolment", data={"member": "1002", "enrol": "0"})
    assert resp.status_code == 400
    assert nrps.is_enrolled(roster.find_member("1002"), roster.COURSE)


# --------------------------------------------------------------------------- over real HTTP


@pytest.fixture
def live_lms(app: Flask) -> Iterator[str]:
    """The practice LMS served on a free port (tool on 127.0.0.1, LMS on localhost)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    port = server.server_port
    app.config["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{port}"
    keys.ensure_key()
    ensure_registered(f"http://127.0.0.1:{port}", f"http://localhost:{port}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{port}"
    finally:
        server.shutdown()


def test_the_tools_roster_client_reads_both_courses(live_lms):
    platform = db.session.scalars(db.select(Platform).where(Platform.client_id == CLIENT_ID)).one()
    science = fetch_roster(platform, f"{live_lms}/demo/nrps/practice-science-8/memberships",
                           limit=7)
    assert [m.user_id for m in science.members] == [
        m.sub for m in roster.enrolled(roster.COURSE)]
    assert science.differences_url.startswith(
        f"{live_lms}/demo/nrps/practice-science-8/memberships?since=")
    history = fetch_roster(platform, f"{live_lms}/demo/nrps/practice-history-8/memberships")
    staff = {m.name for m in history.members if m.roles.is_staff}
    assert staff == {"Tomasz Nowak", "Daniel Osei"}


def test_a_tool_registered_by_url_gets_the_roster_too(client, app, platform):
    """A registration made by URL (LTI Dynamic Registration) asks for the roster with its own
    client id; a client id the practice LMS never registered is refused."""
    from lti_tool.demo import tools

    with app.test_request_context(f"{LMS}/demo/"):
        tool = tools.add({"name": "Staffroom by URL", "login_url": "http://127.0.0.1:5000/lti/login",
                          "target_link_uri": "http://127.0.0.1:5000/lti/launch",
                          "redirect_uris": ("http://127.0.0.1:5000/lti/launch",)})
    by_url = Platform(name="Practice LMS by URL", issuer=platform.issuer, client_id=tool.client_id,
                      auth_login_url=platform.auth_login_url,
                      auth_token_url=platform.auth_token_url, key_set=platform.key_set,
                      frame_origins=[], active=True)
    db.session.add(by_url)
    db.session.commit()
    resp = client.post(f"{LMS}/demo/token", data=token_form(by_url))
    assert resp.status_code == 200, resp.get_json()
    unknown = Platform(name="Never registered", issuer=platform.issuer,
                       client_id="practice-dr-unknown", auth_login_url=platform.auth_login_url,
                       auth_token_url=platform.auth_token_url, key_set=platform.key_set,
                       frame_origins=[], active=True)
    db.session.add(unknown)
    db.session.commit()
    refused = client.post(f"{LMS}/demo/token", data=token_form(unknown))
    assert (refused.status_code, refused.get_json()["error"]) == (401, "invalid_client")
