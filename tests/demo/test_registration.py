"""The practice LMS's side of dynamic registration: configuration, tokens, endpoint, launch."""

from __future__ import annotations

import html
import re

from lti_tool.courses.models import Course
from lti_tool.demo.platform import public_jwks
from lti_tool.extensions import db
from lti_tool.lti.dynamic_registration import check_configuration, issuer_matches
from lti_tool.lti.models import Deployment, Platform
from lti_tool.lti.tool_configuration import ToolUrls, registration_request
from tests.conftest import auth_request_url, landed_in
from tests.demo.conftest import LMS, TOOL, iframe_src, post_form, query

TOOL_URLS = ToolUrls(
    login=TOOL + "/lti/login", launch=TOOL + "/lti/launch", jwks=TOOL + "/lti/jwks.json",
    logo=TOOL + "/static/favicon.svg",
)


def issue_token(client) -> tuple[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    """Ask "Register a tool by URL" to open the tool's link; the frame's URL and its query."""
    link = TOOL + "/lti/register?invitation=abc"
    resp = client.get(f"{LMS}/demo/register-tool", query_string={"url": link})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    src = re.search(r'<iframe[^>]*lms-registration-frame[^>]*src="([^"]+)"',
                    resp.get_data(as_text=True))
    assert src
    url = html.unescape(src.group(1))
    return url, query(url)


def register_with(client, token: str):  # type: ignore[no-untyped-def]
    body = registration_request(TOOL_URLS, roster=True, deep_linking=True, canvas=False)
    return client.post(f"{LMS}/demo/registrations", json=body,
                       headers={"Authorization": f"Bearer {token}"})


def test_r2_the_practice_lms_configuration_passes_the_tools_checks(client):
    resp = client.get(f"{LMS}/demo/openid-configuration")
    assert resp.status_code == 200
    document = resp.get_json()
    url = LMS + "/demo/openid-configuration"
    assert document["issuer"] == LMS + "/demo"
    assert issuer_matches(document["issuer"], url)
    config = check_configuration(url, document, allow_loopback=True)
    assert config.registration_endpoint == LMS + "/demo/registrations"
    assert config.offers_roster
    assert config.offers_deep_linking


def test_register_a_tool_by_url_opens_it_with_a_configuration_and_a_token(client):
    url, params = issue_token(client)
    assert url.startswith(TOOL + "/lti/register?invitation=abc&")
    assert params["openid_configuration"] == LMS + "/demo/openid-configuration"
    assert len(params["registration_token"]) > 30


def test_register_a_tool_by_url_frames_only_staffroom(client):
    resp = client.get(f"{LMS}/demo/register-tool",
                      query_string={"url": "https://other-tool.example/register"})
    assert resp.status_code == 400
    assert "only frames Staffroom" in html.unescape(resp.get_data(as_text=True))
    assert "lms-registration-frame" not in resp.get_data(as_text=True)
    broken = client.get(f"{LMS}/demo/register-tool", query_string={"url": "http://[::1/x"})
    assert broken.status_code == 400
    assert "Enter the tool's registration URL" in html.unescape(broken.get_data(as_text=True))


def test_r3_the_registration_endpoint_takes_each_token_once(client):
    _, params = issue_token(client)
    assert register_with(client, "made-up").status_code == 401
    resp = register_with(client, params["registration_token"])
    assert resp.status_code == 200, resp.get_data(as_text=True)
    answer = resp.get_json()
    assert answer["client_id"].startswith("practice-dr-")
    tool_config = answer["https://purl.imsglobal.org/spec/lti-tool-configuration"]
    assert tool_config["deployment_id"].startswith("practice-dr-deployment-")
    again = register_with(client, params["registration_token"])
    assert again.status_code == 401
    assert again.get_json()["error"] == "invalid_token"


def test_the_registration_endpoint_refuses_a_registration_without_redirect_uris(client):
    _, params = issue_token(client)
    body = registration_request(TOOL_URLS, roster=True, deep_linking=True, canvas=False)
    body["redirect_uris"] = []
    resp = client.post(f"{LMS}/demo/registrations", json=body,
                       headers={"Authorization": f"Bearer {params['registration_token']}"})
    assert resp.status_code == 400
    assert resp.get_json()["error"] == "invalid_redirect_uri"


def test_a_launch_through_a_tool_registered_by_url_reaches_the_dashboard(client):
    _, params = issue_token(client)
    answer = register_with(client, params["registration_token"]).get_json()
    client_id = answer["client_id"]
    deployment = answer["https://purl.imsglobal.org/spec/lti-tool-configuration"][
        "deployment_id"]
    client.get(f"{LMS}/demo/")  # the seeded registration, for the issuer's address
    # What the tool stores once its administrator activated the registration.
    platform = Platform(
        name="Practice LMS by URL", issuer=LMS + "/demo", client_id=client_id,
        auth_login_url=LMS + "/demo/auth", auth_token_url=LMS + "/demo/token",
        key_set=public_jwks(), frame_origins=[], active=True,
    )
    platform.deployments = [Deployment(deployment_id=deployment)]
    db.session.add(platform)
    db.session.commit()

    page = client.get(f"{LMS}/demo/staffroom", query_string={"as": "1001", "tool": client_id})
    assert page.status_code == 200
    login = iframe_src(page.get_data(as_text=True))
    assert query(login)["client_id"] == client_id
    assert query(login)["lti_deployment_id"] == deployment
    auth = client.get(auth_request_url(client.get(login)))  # through the storage page
    assert auth.status_code == 200, auth.get_data(as_text=True)
    action, fields = post_form(auth.get_data(as_text=True))
    landed = client.post(action, data=fields)
    course = db.session.scalars(db.select(Course)).one()
    assert landed_in(landed) == f"/courses/{course.id}/"
    assert course.platform_id == platform.id  # through the new registration


def test_a_hint_of_one_registration_cannot_launch_another(client):
    _, params = issue_token(client)
    client_id = register_with(client, params["registration_token"]).get_json()["client_id"]
    client.get(f"{LMS}/demo/")
    page = client.get(f"{LMS}/demo/staffroom", query_string={"as": "1001"})
    login = query(iframe_src(page.get_data(as_text=True)))
    # The seeded registration's hint, sent with the new registration's client_id.
    auth = client.get(f"{LMS}/demo/auth", query_string={
        "client_id": client_id, "redirect_uri": TOOL + "/lti/launch", "scope": "openid",
        "response_type": "id_token", "response_mode": "form_post", "prompt": "none",
        "nonce": "n", "state": "s", "login_hint": "1001",
        "lti_message_hint": login["lti_message_hint"],
    })
    assert auth.status_code == 400
    assert "another tool registration" in html.unescape(auth.get_data(as_text=True))
