"""The practice LMS's OIDC auth endpoint: what it refuses and the id_token it signs."""

from __future__ import annotations

import html
import time
from urllib.parse import urlencode

import jwt
import pytest

from lti_tool.demo import oidc, roster
from lti_tool.demo.platform import CLIENT_ID, DEPLOYMENT_ID, public_jwks
from lti_tool.extensions import db
from lti_tool.lti.models import Platform
from tests.demo.conftest import LMS, TOOL, post_form, query

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"


@pytest.fixture
def auth_params(browser) -> dict[str, str]:
    """A genuine auth request from the tool, as the browser brings it to the LMS."""
    return query(browser.auth_request("1001"))


def get_auth(client, params: dict[str, str]):
    return client.get(f"{LMS}/demo/auth?{urlencode(params)}")


def assert_refused(resp, error: str, reason: str) -> None:
    page = html.unescape(resp.get_data(as_text=True))
    assert resp.status_code == 400, page
    assert f"<code>{error}</code>" in page
    assert reason in page
    assert "<form" not in page
    assert "Location" not in resp.headers


def test_valid_request_posts_a_signed_id_token_to_the_tool(client, auth_params):
    resp = get_auth(client, auth_params)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    action, fields = post_form(page)
    assert action == f"{TOOL}/lti/launch"
    assert fields["state"] == auth_params["state"]
    assert '<button type="submit">Continue</button>' in page
    assert "/static/demo.js" in page
    assert f"form-action 'self' {TOOL}" in resp.headers["Content-Security-Policy"]


def test_the_id_token_is_a_complete_resource_link_request(client, auth_params):
    _, fields = post_form(get_auth(client, auth_params).get_data(as_text=True))
    header = jwt.get_unverified_header(fields["id_token"])
    key = public_jwks()["keys"][0]
    assert header["alg"] == "RS256"
    assert header["kid"] == key["kid"]
    body = jwt.decode(fields["id_token"], jwt.PyJWK.from_dict(key), algorithms=["RS256"],
                      audience=CLIENT_ID, issuer=f"{LMS}/demo")
    teacher = roster.find_member("1001")
    assert body["sub"] == teacher.sub
    assert body["azp"] == CLIENT_ID
    assert body["nonce"] == auth_params["nonce"]
    assert body["exp"] - body["iat"] == 300
    assert abs(body["iat"] - time.time()) < 5
    assert (body["name"], body["given_name"], body["family_name"], body["email"]) == (
        "Amara Okafor", "Amara", "Okafor", "amara.okafor@practice-school.example")
    assert body[CLAIM + "message_type"] == "LtiResourceLinkRequest"
    assert body[CLAIM + "version"] == "1.3.0"
    assert body[CLAIM + "deployment_id"] == DEPLOYMENT_ID
    assert body[CLAIM + "target_link_uri"] == f"{TOOL}/lti/launch"
    assert body[CLAIM + "resource_link"] == {"id": roster.RESOURCE_LINK_ID, "title": "Staffroom"}
    assert "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor" in body[CLAIM + "roles"]
    assert body[CLAIM + "context"]["id"] == "practice-science-8"
    assert body[CLAIM + "context"]["title"] == "Year 8 Science"
    assert body[CLAIM + "launch_presentation"] == {
        "document_target": "iframe", "return_url": f"{LMS}/demo/?as=1001", "locale": "en-GB"}
    assert body[CLAIM + "tool_platform"]["product_family_code"] == "staffroom-practice"
    assert body[CLAIM + "custom"] == {}
    assert body["https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"] == {
        "context_memberships_url": f"{LMS}/demo/nrps/practice-science-8/memberships",
        "service_versions": ["2.0"],
    }


def test_post_is_accepted_as_well_as_get(client, auth_params):
    resp = client.post(f"{LMS}/demo/auth", data=auth_params)
    assert resp.status_code == 200
    assert post_form(resp.get_data(as_text=True))[0] == f"{TOOL}/lti/launch"


def test_wrong_redirect_uri_is_refused_without_redirecting(client, auth_params):
    auth_params["redirect_uri"] = "https://evil.example/steal"
    assert_refused(get_auth(client, auth_params), "invalid_request",
                   "'https://evil.example/steal' is not the tool's registered redirect URI")


def test_redirect_uri_must_match_exactly(client, auth_params):
    auth_params["redirect_uri"] = f"{TOOL}/lti/launch/"
    assert_refused(get_auth(client, auth_params), "invalid_request", "registered redirect URI")


def test_unknown_client_id_is_refused(client, auth_params):
    auth_params["client_id"] = "someone-else"
    assert_refused(get_auth(client, auth_params), "unauthorized_client",
                   "no tool is registered in the practice LMS with client_id 'someone-else'")


@pytest.mark.parametrize(
    ("name", "value", "error", "reason"),
    [
        ("scope", "profile", "invalid_scope", "the scope must be 'openid'"),
        ("response_type", "code", "unsupported_response_type", "must be 'id_token'"),
        ("response_mode", "query", "invalid_request", "must be 'form_post'"),
        ("prompt", "login", "invalid_request", "the prompt must be 'none'"),
        ("nonce", "", "invalid_request", "has no nonce"),
        ("login_hint", "9999", "login_required", "does not name anyone"),
        ("lti_message_hint", "", "invalid_request", "has no lti_message_hint"),
        ("lti_message_hint", "forged.hint", "invalid_request", "not issued by the practice LMS"),
    ],
)
def test_bad_parameters_are_refused(client, auth_params, name, value, error, reason):
    auth_params[name] = value
    assert_refused(get_auth(client, auth_params), error, reason)


def test_a_hint_cannot_be_moved_to_another_person(client, auth_params):
    auth_params["login_hint"] = "1002"
    assert_refused(get_auth(client, auth_params), "invalid_request", "for someone else's launch")


def test_a_hint_for_another_link_is_refused(app, client, auth_params):
    auth_params["lti_message_hint"] = oidc._serializer().dumps(
        {"u": "1001", "rl": "another-link", "c": "practice-science-8"})
    assert_refused(get_auth(client, auth_params), "invalid_request", "not in this course")


def test_an_old_hint_is_refused(client, auth_params, monkeypatch):
    monkeypatch.setattr(oidc, "HINT_MAX_AGE", -1)
    assert_refused(get_auth(client, auth_params), "invalid_request", "has expired")


def test_the_error_page_links_back_to_the_course(client, auth_params):
    auth_params["client_id"] = "x"
    page = get_auth(client, auth_params).get_data(as_text=True)
    assert f'href="{LMS}/demo/" target="_top"' in page


def test_jwks_endpoint_publishes_the_registered_key(client):
    client.get(f"{LMS}/demo/")
    published = client.get(f"{LMS}/demo/jwks.json").get_json()
    assert published == db.session.scalars(db.select(Platform)).one().key_set
    assert "d" not in published["keys"][0]
