"""LTI Dynamic Registration at ``/lti/register``: checklist lines R1–R3, against a fake LMS.

Each refusal is a 4xx page that says why, and stores nothing: no platform, no
deployment, no spent invitation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask

from lti_tool.db import utcnow
from lti_tool.extensions import db
from lti_tool.lti.models import Deployment, DynamicRegistration, Platform
from lti_tool.lti.tool_configuration import NRPS_SCOPE, TOOL_CONFIGURATION
from lti_tool.registration.models import RegistrationInvitation
from tests.admin.conftest import AdminBrowser, page_text
from tests.support.registration import OTHER_TOKEN, TOKEN, FakeLms

TICKET = re.compile(r'name="ticket" value="([^"]+)"')
NEW_LINK = re.compile(r'id="new-registration-link">([^<]+)<')


@pytest.fixture
def lms(app: Flask) -> Iterator[FakeLms]:
    # The fake LMS is on 127.0.0.1 over http, as the practice LMS is in development.
    app.config["DYNAMIC_REGISTRATION_ALLOW_LOOPBACK_HTTP"] = True
    server = FakeLms()
    yield server
    server.close()


def invitation_link(admin: AdminBrowser) -> str:
    resp = admin.post("/admin/setup/invitations", form_url="/admin/setup")
    assert resp.status_code == 201, resp.get_data(as_text=True)[:300]
    match = NEW_LINK.search(resp.get_data(as_text=True))
    assert match
    return match.group(1).replace("&amp;", "&")


def start_url(link: str, lms: FakeLms, **params: str) -> str:
    """What the LMS opens: the registration link with its two parameters added."""
    parts = urlsplit(link)
    query = {"openid_configuration": lms.config_url, "registration_token": TOKEN, **params}
    joined = (parts.query + "&" if parts.query else "") + urlencode(query)
    return f"{parts.path}?{joined}"


def ticket(resp) -> str:  # type: ignore[no-untyped-def]
    assert resp.status_code == 200, page_text(resp)[:500]
    match = TICKET.search(resp.get_data(as_text=True))
    assert match
    return match.group(1)


def register(client, url: str):  # type: ignore[no-untyped-def]
    """Open the registration page and press "Register Staffroom"."""
    return client.post("/lti/register", data={"ticket": ticket(client.get(url))})


def stored() -> tuple[int, int, int]:
    return (
        db.session.scalar(sa.select(sa.func.count()).select_from(Platform)),
        db.session.scalar(sa.select(sa.func.count()).select_from(Deployment)),
        db.session.scalar(sa.select(sa.func.count()).select_from(DynamicRegistration)),
    )


@pytest.fixture
def lms_browser(app: Flask):  # type: ignore[no-untyped-def]
    """The LMS administrator's browser in the LMS's frame: no Staffroom admin session."""
    return app.test_client()


# --------------------------------------------------------------------------- success


def test_r3_registration_by_invitation_posts_the_tool_and_stays_pending(
    admin, lms_browser, lms
):
    link = invitation_link(admin)
    page = lms_browser.get(start_url(link, lms))
    text = page_text(page)
    assert "Register Staffroom in Moodle at 127.0.0.1" in text
    assert "waits until a Staffroom administrator" in text
    # The LMS's origin may frame the page; nothing else can.
    assert f"frame-ancestors 'self' http://127.0.0.1:{lms.port}" in page.headers[
        "Content-Security-Policy"]

    done = lms_browser.post("/lti/register", data={"ticket": ticket(page)})
    assert done.status_code == 200, page_text(done)
    assert "Pending activation" in page_text(done)
    assert "registration.js" in done.get_data(as_text=True)

    config_get = next(r for r in lms.requests if r.method == "GET")
    assert config_get.headers["Authorization"] == f"Bearer {TOKEN}"
    (post,) = lms.posts()
    assert post.headers["Authorization"] == f"Bearer {TOKEN}"
    body = post.body
    assert body["redirect_uris"] == ["https://tool.example.org/lti/launch"]
    assert body["initiate_login_uri"] == "https://tool.example.org/lti/login"
    assert body["jwks_uri"] == "https://tool.example.org/lti/jwks.json"
    assert body["client_name"] == "Staffroom"
    assert body["logo_uri"].startswith("https://tool.example.org/static/")
    assert body["token_endpoint_auth_method"] == "private_key_jwt"
    assert NRPS_SCOPE in body["scope"].split()
    config = body[TOOL_CONFIGURATION]
    assert config["domain"] == "tool.example.org"
    assert config["target_link_uri"] == "https://tool.example.org/lti/launch"
    assert {"name", "email", "given_name", "family_name"} <= set(config["claims"])
    types = {m["type"] for m in config["messages"]}
    assert types == {"LtiResourceLinkRequest", "LtiDeepLinkingRequest"}
    assert "custom_parameters" not in config  # the Canvas course id is for Canvas only

    platform = db.session.scalars(sa.select(Platform)).one()
    assert (platform.issuer, platform.client_id) == (lms.issuer, "moodle-client-7")
    assert platform.auth_login_url == lms.issuer + "/mod/lti/auth.php"
    assert platform.key_set_url == lms.issuer + "/mod/lti/certs.php"
    assert [d.deployment_id for d in platform.deployments] == ["12"]
    assert platform.active is False
    assert platform.pending
    assert platform.product_family == "moodle"
    assert platform.dynamic_registration.started_by == "invitation 1 (from admin)"
    invitation = db.session.scalars(sa.select(RegistrationInvitation)).one()
    assert invitation.used_at is not None
    assert invitation.platform_id == platform.id


def test_r1_a_signed_in_administrator_may_register_without_an_invitation(admin, lms):
    resp = register(admin.client, start_url("/lti/register", lms))
    assert resp.status_code == 200, page_text(resp)
    platform = db.session.scalars(sa.select(Platform)).one()
    assert platform.dynamic_registration.started_by == "administrator admin"


def test_r3_an_issuer_on_the_allow_list_is_active_at_once(app, admin, lms_browser, lms):
    app.config["DYNAMIC_REGISTRATION_TRUSTED_ISSUERS"] = [lms.issuer + "/"]
    page = lms_browser.get(start_url(invitation_link(admin), lms))
    assert "trusted issuers" in page_text(page)
    done = lms_browser.post("/lti/register", data={"ticket": ticket(page)})
    assert "It can be used at once" in page_text(done)
    platform = db.session.scalars(sa.select(Platform)).one()
    assert platform.active is True
    assert not platform.pending
    assert platform.dynamic_registration.activated_by == "the allow-list of trusted issuers"


def test_r3_canvas_gets_the_course_id_custom_field_and_only_offered_services(
    admin, lms_browser, lms
):
    lms.config_overrides = {
        "scopes_supported": ["https://purl.imsglobal.org/spec/lti-ags/scope/score"],
        "https://purl.imsglobal.org/spec/lti-platform-configuration": {
            "product_family_code": "canvas",
            "messages_supported": [{"type": "LtiResourceLinkRequest"}],
            "https://canvas.instructure.com/lti/account_name": "Northwind",
        },
    }
    register(lms_browser, start_url(invitation_link(admin), lms))
    body = lms.posts()[0].body
    config = body[TOOL_CONFIGURATION]
    assert config["custom_parameters"] == {"canvas_course_id": "$Canvas.course.id"}
    assert config["https://canvas.instructure.com/lti/privacy_level"] == "public"
    assert body["scope"] == ""  # no roster service offered: none asked for
    assert [m["type"] for m in config["messages"]] == ["LtiResourceLinkRequest"]
    assert config["messages"][0]["https://canvas.instructure.com/lti/visibility"] == "admins"
    assert db.session.scalars(sa.select(Platform)).one().name == "Northwind (Canvas)"


# --------------------------------------------------------------------------- R1: who


def test_r1_without_an_administrator_or_an_invitation_registration_is_refused(
    lms_browser, lms
):
    resp = lms_browser.get(start_url("/lti/register", lms))
    assert resp.status_code == 403
    assert "only a Staffroom administrator may register Staffroom" in page_text(resp)
    assert lms.requests == []  # the platform is not even asked
    assert stored() == (0, 0, 0)


def test_r1_a_forged_invitation_is_refused(admin, lms_browser, lms):
    link = invitation_link(admin)
    forged = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    resp = lms_browser.get(start_url(forged, lms))
    assert resp.status_code == 403
    assert "was not made by this Staffroom" in page_text(resp)
    assert lms.requests == []


def test_r1_an_invitation_is_used_once(admin, lms_browser, lms):
    link = invitation_link(admin)
    first = register(lms_browser, start_url(link, lms))
    assert first.status_code == 200
    again = lms_browser.get(start_url(link, lms))
    assert again.status_code == 410
    assert "has been used already" in page_text(again)
    assert len(lms.posts()) == 1
    assert stored() == (1, 1, 1)


def test_r1_two_registrations_opened_with_one_invitation_store_only_one(
    admin, lms_browser, lms
):
    """Both pages opened before either was sent: the second send is refused (atomic claim)."""
    link = invitation_link(admin)
    first_page = lms_browser.get(start_url(link, lms))
    second_page = lms_browser.get(start_url(link, lms, registration_token=OTHER_TOKEN))
    assert lms_browser.post("/lti/register", data={"ticket": ticket(first_page)}).status_code == 200
    second = lms_browser.post("/lti/register", data={"ticket": ticket(second_page)})
    assert second.status_code == 410
    assert stored() == (1, 1, 1)


def test_r1_an_expired_invitation_is_refused(admin, lms_browser, lms):
    link = invitation_link(admin)
    db.session.execute(sa.update(RegistrationInvitation).values(
        expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    resp = lms_browser.get(start_url(link, lms))
    assert resp.status_code == 410
    assert "has expired" in page_text(resp)
    assert lms.requests == []


def test_r1_a_withdrawn_invitation_is_refused(admin, lms_browser, lms):
    link = invitation_link(admin)
    resp = admin.post("/admin/setup/invitations/1/withdraw", form_url="/admin/setup")
    assert resp.status_code == 303
    refused = lms_browser.get(start_url(link, lms))
    assert refused.status_code == 410
    assert "withdrawn" in page_text(refused)


def test_r1_an_invitation_made_on_the_setup_page_expires_after_the_configured_hours(
    app, admin
):
    app.config["REGISTRATION_INVITATION_HOURS"] = 2
    invitation_link(admin)
    invitation = db.session.scalars(sa.select(RegistrationInvitation)).one()
    left = invitation.expires_at - utcnow()
    assert timedelta(hours=1, minutes=59) < left <= timedelta(hours=2)


# --------------------------------------------------------------------------- R2: the configuration


@pytest.mark.parametrize(
    ("config_url", "reason"),
    [
        ("", "did not send the openid_configuration parameter"),
        ("http://lms.school.example/openid-configuration", "must start with https://"),
        ("not a url", "is not an absolute web address"),
        ("ftp://lms.school.example/config", "is not an absolute web address"),
        ("https://[::1/config", "is not an absolute web address"),
    ],
)
def test_r2_the_openid_configuration_url_must_be_https(admin, lms, config_url, reason):
    resp = admin.get(start_url("/lti/register", lms, openid_configuration=config_url))
    assert resp.status_code == 400
    assert reason in page_text(resp)
    assert stored() == (0, 0, 0)


def test_r2_loopback_http_is_refused_outside_development(app, admin, lms):
    app.config["DYNAMIC_REGISTRATION_ALLOW_LOOPBACK_HTTP"] = False
    resp = admin.get(start_url("/lti/register", lms))
    assert resp.status_code == 400
    assert "only allowed in development" in page_text(resp)
    assert lms.requests == []


def test_r2_the_issuer_must_match_the_configuration_url(admin, lms):
    lms.config_overrides = {"issuer": "https://moodle.elsewhere.example"}
    resp = admin.get(start_url("/lti/register", lms))
    assert resp.status_code == 422
    assert "does not match the configuration's address" in page_text(resp)
    assert lms.posts() == []
    assert stored() == (0, 0, 0)


@pytest.mark.parametrize("missing", ["registration_endpoint", "jwks_uri",
                                     "authorization_endpoint", "token_endpoint", "issuer"])
def test_r2_the_configuration_must_name_every_endpoint(admin, lms, missing):
    lms.config_overrides = {missing: None}
    resp = admin.get(start_url("/lti/register", lms))
    assert resp.status_code == 422
    assert "cannot be used" in page_text(resp)
    assert lms.posts() == []


def test_r2_a_configuration_that_is_not_json_is_refused(admin, lms):
    lms.config_raw = b"<html>Moodle is being upgraded</html>"
    resp = admin.get(start_url("/lti/register", lms))
    assert resp.status_code == 422
    assert "is not valid JSON" in page_text(resp)


def test_r2_a_platform_error_is_a_clear_4xx(admin, lms):
    lms.config_status = 500
    resp = admin.get(start_url("/lti/register", lms))
    assert resp.status_code == 424
    assert "answered HTTP 500" in page_text(resp)


def test_r2_a_platform_that_does_not_answer_in_time_is_a_clear_4xx(app, admin, lms):
    app.config["HTTP_TIMEOUT"] = 0.2
    lms.delay = 1.0
    resp = admin.get(start_url("/lti/register", lms))
    assert resp.status_code == 424
    assert "did not answer in time" in page_text(resp)


def test_r2_an_unreachable_platform_is_a_clear_4xx(admin, lms):
    lms.close()
    resp = admin.get(start_url("/lti/register", lms))
    assert resp.status_code == 424
    assert "could not be reached" in page_text(resp)


# --------------------------------------------------------------------------- R3: the registration


def test_r3_the_registration_token_is_used_once(admin, lms_browser, lms):
    page = lms_browser.get(start_url(invitation_link(admin), lms))
    form = {"ticket": ticket(page)}
    assert lms_browser.post("/lti/register", data=form).status_code == 200
    again = lms_browser.post("/lti/register", data=form)
    assert again.status_code in (409, 410)
    assert len(lms.posts()) == 1


def test_r3_the_same_token_is_not_sent_twice_even_by_an_administrator(admin, lms):
    url = start_url("/lti/register", lms)
    form = {"ticket": ticket(admin.get(url))}
    assert admin.client.post("/lti/register", data=form).status_code == 200
    again = admin.client.post("/lti/register", data=form)
    assert again.status_code == 409
    assert "each registration token is used once" in page_text(again)
    assert len(lms.posts()) == 1
    assert stored() == (1, 1, 1)


def test_r3_a_refused_registration_stores_nothing_and_gives_the_link_back(
    admin, lms_browser, lms
):
    lms.answer_status = 400
    lms.answer = {"error": "invalid_redirect_uri", "error_description": "no https here"}
    link = invitation_link(admin)
    resp = register(lms_browser, start_url(link, lms))
    assert resp.status_code == 424
    assert "refused the registration (HTTP 400): no https here" in page_text(resp)
    assert stored() == (0, 0, 0)
    invitation = db.session.scalars(sa.select(RegistrationInvitation)).one()
    db.session.refresh(invitation)
    assert invitation.used_at is None  # the administrator can start again from the LMS


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"not json", "is not valid JSON"),
        (b'{"client_name": "Staffroom"}', "has no client_id"),
        (b'["client_id"]', "has no client_id"),
    ],
)
def test_r3_an_answer_without_a_client_id_is_refused(admin, lms, raw, reason):
    lms.answer_raw = raw
    resp = register(admin.client, start_url("/lti/register", lms))
    assert resp.status_code == 422
    assert reason in page_text(resp)
    assert stored() == (0, 0, 0)


def test_r3_a_registration_that_exists_already_is_refused_without_a_500(admin, lms):
    register(admin.client, start_url("/lti/register", lms))
    # The LMS answers a second registration with the client_id it gave the first.
    resp = register(admin.client, start_url("/lti/register", lms, registration_token=OTHER_TOKEN))
    assert resp.status_code == 409
    assert "already registered" in page_text(resp)
    assert stored() == (1, 1, 1)


def test_r3_a_forged_ticket_is_refused(lms_browser):
    resp = lms_browser.post("/lti/register", data={"ticket": "made-up"})
    assert resp.status_code == 400
    assert "not issued by Staffroom" in page_text(resp)


# --------------------------------------------------------------------------- pending


def test_r3_a_pending_registration_cannot_launch_until_it_is_activated(
    admin, client, lms, lms_browser
):
    register(lms_browser, start_url(invitation_link(admin), lms))
    login = {
        "iss": lms.issuer, "login_hint": "u1", "client_id": "moodle-client-7",
        "lti_deployment_id": "12", "target_link_uri": "https://tool.example.org/lti/launch",
    }
    refused = client.post("/lti/login", data=login)
    assert refused.status_code == 403
    text = page_text(refused)
    assert "waits for a Staffroom administrator to activate it" in text

    listing = page_text(admin.get("/admin/"))
    assert "Pending activation" in listing
    platform = db.session.scalars(sa.select(Platform)).one()
    resp = admin.post(f"/admin/platforms/{platform.id}/activate")
    assert resp.status_code == 303
    db.session.refresh(platform)
    assert platform.active
    assert platform.dynamic_registration.activated_by == "administrator admin"
    assert client.post("/lti/login", data=login).status_code == 302
