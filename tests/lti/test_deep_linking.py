"""Deep Linking 2.0 response: checklist lines D1–D5."""

from __future__ import annotations

import html
import re
import time

import jwt
import pytest

from lti_tool.lti import keys
from tests.conftest import LtiFlow
from tests.lti.test_lms_samples import platform_for
from tests.support.platform import load_fixture
from tests.tasks.helpers import csrf

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


COURSE_SPACE = "planning-course:here"


def deep_link(client, key_server, sample: str, *targets: str):
    tp = platform_for(sample, key_server)
    flow = LtiFlow(client, tp)
    flow.start(sample.split("-")[0] + "-login-initiation",
               target_link_uri=load_fixture(sample)[CLAIM + "target_link_uri"])
    page = flow.launch(sample).get_data(as_text=True)
    resp = client.post("/lti/deep-link",
                       data={"csrf_token": _csrf(page), "target": list(targets or [COURSE_SPACE])})
    return tp, resp


def _response_token(resp) -> tuple[str, str]:
    page = resp.get_data(as_text=True)
    action = html.unescape(re.search(r'<form method="post" action="([^"]+)"', page).group(1))
    token = re.search(r'name="JWT" value="([^"]+)"', page).group(1)
    return action, token


def _verify(token: str, tp) -> dict:
    header = jwt.get_unverified_header(token)
    (jwk,) = [k for k in keys.jwks()["keys"] if k["kid"] == header["kid"]]
    return jwt.decode(token, jwt.PyJWK.from_dict(jwk), algorithms=["RS256"], audience=tp.issuer)


@pytest.mark.parametrize("sample", ["canvas-deep-linking-request", "moodle-deep-linking-request"])
def test_d1_signed_with_a_key_in_our_jwks(client, key_server, sample):
    tp, resp = deep_link(client, key_server, sample)
    assert resp.status_code == 200
    _, token = _response_token(resp)
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    assert _verify(token, tp)


def test_d2_response_claims(client, key_server):
    tp, resp = deep_link(client, key_server, "moodle-deep-linking-request")
    claims = _verify(_response_token(resp)[1], tp)
    assert claims["iss"] == tp.client_id
    assert claims["aud"] == tp.issuer
    assert claims["iat"] <= time.time() + 1
    assert 0 < claims["exp"] - claims["iat"] <= 600
    assert len(claims["nonce"]) >= 16
    assert claims[CLAIM + "deployment_id"] == "7"
    assert claims[CLAIM + "message_type"] == "LtiDeepLinkingResponse"
    assert claims[CLAIM + "version"] == "1.3.0"


def test_d3_data_is_echoed_when_present_and_absent_otherwise(client, key_server, app):
    from lti_tool.lti.context import DeepLinkingSettings
    from lti_tool.lti.deep_linking import ResourceLinkItem, response_jwt
    from lti_tool.lti.models import Platform
    from tests.conftest import register
    from tests.support.platform import TestPlatform

    tp = TestPlatform(issuer="https://d3.example.test", client_id="d3", deployment_ids=["1"],
                      key_server=key_server)
    platform: Platform = register(tp)
    opaque = "eyJhbGciOiJIUzI1NiJ9.eyJ4IjoxfQ.sig+/= exact"
    item = [ResourceLinkItem(title="S", url="https://tool.example.org/lti/launch")]
    with_data = DeepLinkingSettings("https://d3.example.test/r", ("ltiResourceLink",), data=opaque)
    claims = _verify(response_jwt(platform, "1", with_data, item), tp)
    assert claims[DL + "data"] == opaque
    without = DeepLinkingSettings("https://d3.example.test/r", ("ltiResourceLink",))
    assert DL + "data" not in _verify(response_jwt(platform, "1", without, item), tp)


def test_d4_one_lti_resource_link_to_our_launch_url(client, key_server):
    tp, resp = deep_link(client, key_server, "canvas-deep-linking-request")
    items = _verify(_response_token(resp)[1], tp)[DL + "content_items"]
    assert items == [{
        "type": "ltiResourceLink", "title": "Planning space of this course",
        "url": "https://tool.example.org/lti/launch?target=planning-course%3Ahere",
        "custom": {"staffroom_target": COURSE_SPACE,
                   "staffroom_context_history": "$Context.id.history",
                   "staffroom_link_history": "$ResourceLink.id.history"},
    }]


def test_d4_refuses_types_the_platform_does_not_accept(app, key_server):
    from lti_tool.lti.context import DeepLinkingSettings
    from lti_tool.lti.deep_linking import ResourceLinkItem, response_jwt
    from lti_tool.lti.errors import LtiError
    from tests.conftest import register
    from tests.support.platform import TestPlatform

    tp = TestPlatform(issuer="https://d4.example.test", client_id="d4", deployment_ids=["1"],
                      key_server=key_server)
    platform = register(tp)
    item = ResourceLinkItem(title="S", url="https://tool.example.org/lti/launch")
    links_only = DeepLinkingSettings("https://d4.example.test/r", ("link", "html"))
    with pytest.raises(LtiError, match="does not accept links"):
        response_jwt(platform, "1", links_only, [item])
    single = DeepLinkingSettings("https://d4.example.test/r", ("ltiResourceLink",))
    with pytest.raises(LtiError, match="only one item"):
        response_jwt(platform, "1", single, [item, item])


def test_d4_page_says_when_links_are_not_accepted(client, key_server):
    tp = platform_for("canvas-deep-linking-request", key_server)
    flow = LtiFlow(client, tp)
    flow.start("canvas-login-initiation")
    settings = dict(load_fixture("canvas-deep-linking-request")[DL + "deep_linking_settings"])
    settings["accept_types"] = ["file"]
    page = flow.launch("canvas-deep-linking-request",
                       **{DL + "deep_linking_settings": settings}).get_data(as_text=True)
    assert "does not accept links to tools" in page
    assert "Add to the course" not in page


def test_d5_auto_posts_jwt_to_the_return_url_keeping_its_query(client, key_server):
    _, resp = deep_link(client, key_server, "canvas-deep-linking-request")
    action, _ = _response_token(resp)
    expected = load_fixture("canvas-deep-linking-request")[DL + "deep_linking_settings"]
    assert action == expected["deep_link_return_url"]
    page = resp.get_data(as_text=True)
    assert "data-autosubmit" in page
    assert "autosubmit.js" in page
    assert "form-action 'self'" in resp.headers["Content-Security-Policy"]
    assert "https://northwind.instructure.com" in resp.headers["Content-Security-Policy"]


def test_deep_link_needs_a_choice(client, key_server):
    tp = platform_for("moodle-deep-linking-request", key_server)
    flow = LtiFlow(client, tp)
    flow.start("moodle-login-initiation", target_link_uri="https://tool.example.org/lti/deeplink")
    page = flow.launch("moodle-deep-linking-request").get_data(as_text=True)
    resp = client.post("/lti/deep-link", data={"csrf_token": _csrf(page)})
    assert resp.status_code == 400
    assert "Choose what to add to your course." in resp.get_data(as_text=True)
    assert 'name="JWT"' not in resp.get_data(as_text=True)


def test_deep_link_response_requires_a_deep_linking_launch(client, key_server):
    """A valid form (CSRF token and title) from a session that launched normally is refused."""
    tp = platform_for("canvas-resource-link-instructor", key_server)
    flow = LtiFlow(client, tp)
    flow.start("canvas-login-initiation")
    assert flow.launch("canvas-resource-link-instructor").status_code == 200
    resp = client.post("/lti/deep-link", data={"csrf_token": csrf(client), "target": COURSE_SPACE})
    assert resp.status_code == 401
    assert "Open Staffroom from your course" in resp.get_data(as_text=True)


def test_learner_cannot_deep_link(client, key_server):
    tp = platform_for("moodle-deep-linking-request", key_server)
    flow = LtiFlow(client, tp)
    flow.start("moodle-login-initiation", target_link_uri="https://tool.example.org/lti/deeplink")
    resp = flow.launch("moodle-deep-linking-request", roles=["Learner"])
    assert "Staffroom is for your teachers" in resp.get_data(as_text=True)
    # With a valid CSRF token the refusal comes from the rule: no deep link is pending.
    resp = client.post("/lti/deep-link", data={"csrf_token": csrf(client), "target": COURSE_SPACE})
    assert resp.status_code == 401


def _deep_link_page(client, key_server, **settings_changes):  # type: ignore[no-untyped-def]
    """A teacher's deep linking launch from the Moodle sample; returns (tp, flow, page)."""
    tp = platform_for("moodle-deep-linking-request", key_server)
    flow = LtiFlow(client, tp)
    fixture = load_fixture("moodle-deep-linking-request")
    flow.start("moodle-login-initiation", target_link_uri=fixture[CLAIM + "target_link_uri"])
    settings = {**fixture[DL + "deep_linking_settings"], **settings_changes}
    page = flow.launch("moodle-deep-linking-request", **{DL + "deep_linking_settings": settings})
    return tp, flow, page.get_data(as_text=True)


def test_d2_deployment_is_the_one_the_request_came_from(client, key_server):
    """A registration with several deployments answers with the request's own."""
    from lti_tool.extensions import db
    from lti_tool.lti import registrations
    from lti_tool.lti.models import Platform

    tp = platform_for("moodle-deep-linking-request", key_server)
    platform = db.session.scalars(db.select(Platform)).one()
    (seven,) = platform.deployments
    registrations.add_deployment(platform, "another-install")
    registrations.remove_deployment(platform, seven)
    registrations.add_deployment(platform, "7")  # now listed after "another-install"
    flow = LtiFlow(client, tp)
    fixture = load_fixture("moodle-deep-linking-request")
    flow.start("moodle-login-initiation", target_link_uri=fixture[CLAIM + "target_link_uri"])
    page = flow.launch("moodle-deep-linking-request").get_data(as_text=True)
    resp = client.post("/lti/deep-link", data={"csrf_token": _csrf(page), "target": COURSE_SPACE})
    assert _verify(_response_token(resp)[1], tp)[CLAIM + "deployment_id"] == "7"


@pytest.mark.parametrize("data", [" $Canvas.x ", "", "  "])
def test_d3_data_comes_back_byte_for_byte_through_the_whole_flow(client, key_server, data):
    tp, _, page = _deep_link_page(client, key_server, data=data)
    resp = client.post("/lti/deep-link", data={"csrf_token": _csrf(page), "target": COURSE_SPACE})
    assert _verify(_response_token(resp)[1], tp)[DL + "data"] == data


def test_no_response_is_signed_for_a_platform_disabled_meanwhile(client, key_server):
    from lti_tool.extensions import db
    from lti_tool.lti import registrations
    from lti_tool.lti.models import Platform

    _, _, page = _deep_link_page(client, key_server)
    registrations.set_active(db.session.scalars(db.select(Platform)).one(), False)
    resp = client.post("/lti/deep-link", data={"csrf_token": _csrf(page), "target": COURSE_SPACE})
    assert resp.status_code == 401
    assert 'name="JWT"' not in resp.get_data(as_text=True)


def test_a_deep_link_is_answered_once(client, key_server):
    """The pending request is cleared once answered: a second post signs nothing."""
    _, _, page = _deep_link_page(client, key_server)
    first = client.post("/lti/deep-link", data={"csrf_token": _csrf(page), "target": COURSE_SPACE})
    assert 'name="JWT"' in first.get_data(as_text=True)
    again = client.post("/lti/deep-link", data={"csrf_token": _csrf(page), "target": COURSE_SPACE})
    assert again.status_code == 401
    assert 'name="JWT"' not in again.get_data(as_text=True)
