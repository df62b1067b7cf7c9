"""What the set-up page hands an LMS administrator: the Canvas JSON and the Moodle page."""

from __future__ import annotations

import html
import re

import pytest
from joserfc.jwk import RSAKey

from lti_tool.lti import keys
from lti_tool.lti.dynamic_registration import issuer_matches
from lti_tool.lti.tool_configuration import NRPS_SCOPE
from tests.admin.conftest import page_text

TOOL = "https://tool.example.org"


def test_canvas_json_configuration_has_the_public_jwk_with_alg_and_use(client):
    resp = client.get("/lti/canvas.json")
    assert resp.status_code == 200
    assert resp.mimetype == "application/json"
    config = resp.get_json()
    jwk = config["public_jwk"]
    assert jwk["alg"] == "RS256"
    assert jwk["use"] == "sig"
    assert not {"d", "p", "q", "dp", "dq", "qi"} & jwk.keys()  # public half only
    key = RSAKey.import_key(jwk)  # a valid RSA public key
    assert key.as_dict(private=False)["n"] == jwk["n"]
    assert jwk["kid"] == keys.signing_key().kid
    assert jwk["kid"] in {k["kid"] for k in keys.jwks()["keys"]}
    assert config["public_jwk_url"] == TOOL + "/lti/jwks.json"
    assert config["oidc_initiation_url"] == TOOL + "/lti/login"
    assert config["target_link_uri"] == TOOL + "/lti/launch"
    assert config["scopes"] == [NRPS_SCOPE]
    assert config["custom_fields"] == {"canvas_course_id": "$Canvas.course.id"}


def test_canvas_json_configuration_placements_and_privacy(client):
    config = client.get("/lti/canvas.json").get_json()
    (extension,) = config["extensions"]
    assert extension["platform"] == "canvas.instructure.com"
    assert extension["privacy_level"] == "public"  # names and email addresses
    assert extension["domain"] == "tool.example.org"
    placements = {p["placement"]: p for p in extension["settings"]["placements"]}
    assert set(placements) == {
        "course_navigation", "link_selection", "assignment_selection", "editor_button"
    }
    navigation = placements["course_navigation"]
    assert navigation["message_type"] == "LtiResourceLinkRequest"
    assert navigation["visibility"] == "admins"  # teachers and administrators only
    for name in ("link_selection", "assignment_selection", "editor_button"):
        assert placements[name]["message_type"] == "LtiDeepLinkingRequest"
        assert placements[name]["target_link_uri"] == TOOL + "/lti/launch"


def test_the_setup_page_links_the_canvas_json_and_the_moodle_page(admin):
    text = admin.get("/admin/setup").get_data(as_text=True)
    assert f'href="{TOOL}/lti/canvas.json"' in text
    assert 'href="/admin/setup/moodle"' in text
    assert f"{TOOL}/lti/register" in text
    assert "Make a registration link" in text


def test_the_moodle_page_lists_exactly_what_to_enter(admin):
    resp = admin.get("/admin/setup/moodle")
    assert resp.status_code == 200
    text = page_text(resp)
    for value in (TOOL + "/lti/launch", TOOL + "/lti/jwks.json", TOOL + "/lti/login",
                  "LTI 1.3", "Keyset URL"):
        assert value in text
    uris = re.search(r'id="moodle-redirect-uris" class="redirect-uris">([^<]*)<',
                     resp.get_data(as_text=True))
    assert uris
    assert html.unescape(uris.group(1)).splitlines() == [TOOL + "/lti/launch"]
    assert "IMS LTI Names and Role Provisioning" in text
    assert "Use this service to retrieve members' information as per privacy settings" in text
    assert "Share launcher's name with tool" in text
    assert "Share launcher's email with tool" in text
    assert "Without names" in text
    assert "Without email addresses" in text
    assert "Without Names and Role Provisioning" in text


def test_the_moodle_page_is_for_administrators_only(client):
    resp = client.get("/admin/setup/moodle")
    assert resp.status_code == 303
    assert "/admin/login" in resp.headers["Location"]


@pytest.mark.parametrize(
    ("issuer", "url", "matches"),
    [
        ("https://moodle.school.example", "https://moodle.school.example/mod/lti/openid-configuration.php", True),  # noqa: E501
        ("https://school.example/moodle", "https://school.example/moodle/mod/lti/openid-configuration.php", True),  # noqa: E501
        ("https://school.example/moodle", "https://school.example/moodle2/mod/lti/config", False),
        ("https://school.example/moodle/", "https://school.example/moodle/mod/lti/config", True),
        ("https://moodle.school.example", "https://evil.example/moodle.school.example", False),
        ("https://moodle.school.example", "http://moodle.school.example/config", False),
        ("https://moodle.school.example", "https://moodle.school.example:8443/config", False),
        ("https://canvas.instructure.com", "https://northwind.instructure.com/api/lti/security/openid-configuration", True),  # noqa: E501
        ("https://canvas.instructure.com", "https://northwind.example/api/lti/security/openid-configuration", False),  # noqa: E501
        ("https://lms.example", "https://northwind.instructure.com/api/lti", False),
    ],
)
def test_r2_issuer_matches_the_configuration_url(issuer, url, matches):
    assert issuer_matches(issuer, url) is matches
