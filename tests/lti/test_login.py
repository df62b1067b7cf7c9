"""Login initiation: checklist lines L1–L7."""

from __future__ import annotations

import pytest

from lti_tool.cache import get_cache
from tests.conftest import register
from tests.lti.helpers import assert_refused as assert_launch_refused
from tests.lti.helpers import cache_keys
from tests.support.platform import TestPlatform, parse_auth_redirect


def assert_refused(resp, status: int, code: str, text: str) -> None:  # type: ignore[no-untyped-def]
    """A refused login: as a refused launch, and no login state (state, nonce) was stored."""
    assert_launch_refused(resp, status, code, text)
    assert cache_keys("lti-state:") == []
    assert "Set-Cookie" not in resp.headers or "lti1p3" not in resp.headers["Set-Cookie"]


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_l1_login_accepts_get_and_post(lti, method):
    resp = lti.login(method=method)
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("https://lms.example.test/auth?")


@pytest.mark.parametrize("missing", ["iss", "login_hint", "target_link_uri"])
def test_l2_missing_parameter_is_400(lti, missing):
    resp = lti.login(**{missing: None})
    assert_refused(resp, 400, "L2", f"missing '{missing}'")


def test_l3_unknown_issuer_is_400(lti):
    resp = lti.login(iss="https://other.example.test")
    assert_refused(resp, 400, "L3", "issuer 'https://other.example.test'")
    assert "admin page" in resp.get_data(as_text=True)


def test_l3_unknown_client_id_is_400(lti):
    resp = lti.login(client_id="someone-else")
    assert_refused(resp, 400, "L3", "client_id 'someone-else'")


def test_l3_issuer_alone_when_exactly_one_registration(lti):
    resp = lti.login(client_id=None)
    assert resp.status_code == 302
    assert parse_auth_redirect(resp.headers["Location"])["client_id"] == "client-abc"


def test_l3_issuer_alone_with_two_registrations_is_decided_by_the_deployment_id(lti, key_server):
    register(TestPlatform(issuer=lti.tp.issuer, client_id="second-client",
                          deployment_ids=["d2"], key_server=key_server))
    resp = lti.login(client_id=None)  # with the first registration's deployment id
    assert resp.status_code == 302
    assert parse_auth_redirect(resp.headers["Location"])["client_id"] == "client-abc"
    resp = lti.login(client_id=None, lti_deployment_id="d2")
    assert parse_auth_redirect(resp.headers["Location"])["client_id"] == "second-client"


@pytest.mark.parametrize("deployment_id", [None, "shared"], ids=["no-deployment", "both-have-it"])
def test_l3_issuer_alone_is_ambiguous_when_nothing_decides(lti, key_server, deployment_id):
    register(TestPlatform(issuer=lti.tp.issuer, client_id="second-client",
                          deployment_ids=["shared"], key_server=key_server))
    from lti_tool.extensions import db
    from lti_tool.lti import registrations
    from lti_tool.lti.models import Platform

    first = db.session.scalars(db.select(Platform).filter_by(client_id="client-abc")).one()
    registrations.add_deployment(first, "shared")
    resp = lti.login(client_id=None, lti_deployment_id=deployment_id)
    assert_refused(resp, 400, "L3", "several platform registrations have issuer")
    assert "names no client_id" in resp.get_data(as_text=True)


def test_l3_same_issuer_two_client_ids_each_found(lti, key_server):
    register(TestPlatform(issuer=lti.tp.issuer, client_id="second-client",
                          deployment_ids=["d2"], key_server=key_server))
    resp = lti.login(client_id="second-client", lti_deployment_id="d2")
    assert parse_auth_redirect(resp.headers["Location"])["client_id"] == "second-client"


def test_l3_disabled_registration_is_refused(lti, app):
    from lti_tool.extensions import db
    from lti_tool.lti.models import Platform

    db.session.execute(db.update(Platform).values(active=False))
    db.session.commit()
    assert_refused(lti.login(), 400, "L3", "no active platform registration")


def test_l4_unknown_deployment_is_400(lti):
    resp = lti.login(lti_deployment_id="not-installed")
    assert_refused(resp, 400, "L4", "unknown deployment id 'not-installed'")


def test_l4_deployment_of_another_registration_is_refused(lti, key_server):
    register(TestPlatform(issuer="https://other.example.test", client_id="c2",
                          deployment_ids=["theirs"], key_server=key_server))
    assert_refused(lti.login(lti_deployment_id="theirs"), 400, "L4", "unknown deployment id")


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example.com/lti/launch",
        "https://tool.example.org.evil.example.com/lti/launch",
        "http://tool.example.org/lti/launch",
        "//evil.example.com/x",
        "javascript:alert(1)",
    ],
)
def test_l5_target_link_uri_must_be_on_our_origin(lti, target):
    assert_refused(lti.login(target_link_uri=target), 400, "L5", "is not on this tool")


def test_l5_any_path_on_our_origin_is_accepted(lti):
    assert lti.login(target_link_uri="https://tool.example.org/lti/deep-link").status_code == 302


def test_l6_state_and_nonce_are_random_and_bound(lti):
    first = lti.start()
    second = lti.start()
    for auth in (first, second):
        assert len(auth["state"]) >= 43
        assert len(auth["nonce"]) >= 43
    assert first["state"] != second["state"]
    assert first["nonce"] != second["nonce"]
    record = get_cache().get("lti-state:" + second["state"])
    assert record["nonce"] == second["nonce"]
    assert record["target_link_uri"] == "https://tool.example.org/lti/launch"


def test_l6_state_cookie_is_secure_samesite_none_partitioned(lti):
    resp = lti.login()
    state = parse_auth_redirect(resp.headers["Location"])["state"]
    cookies = resp.headers.getlist("Set-Cookie")
    (cookie,) = [c for c in cookies if state in c]
    attrs = {a.strip().split("=")[0].lower() for a in cookie.split(";")}
    assert {"secure", "httponly", "partitioned"} <= attrs
    assert "SameSite=None" in cookie
    assert "Max-Age=600" in cookie


def test_l6_state_is_kept_in_the_shared_cache_with_a_ttl(app, lti):
    auth = lti.start()
    cache = app.extensions["staffroom_cache"]
    if hasattr(cache, "_redis"):
        ttl = cache._redis.ttl(cache._k("lti-state:" + auth["state"]))
        assert 0 < ttl <= 600
    else:
        expires, _ = cache._data["lti-state:" + auth["state"]]
        assert expires is not None


def test_l7_redirect_carries_every_oidc_parameter(lti):
    auth = lti.start()
    assert auth["scope"] == "openid"
    assert auth["response_type"] == "id_token"
    assert auth["response_mode"] == "form_post"
    assert auth["prompt"] == "none"
    assert auth["client_id"] == "client-abc"
    assert auth["redirect_uri"] == "https://tool.example.org/lti/launch"
    assert auth["login_hint"] == "user-hint-123"
    assert "lti_message_hint" not in auth


def test_l7_message_hint_is_echoed_verbatim(lti):
    hint = '{"cmid":412,"launchid":"ltilaunch23_1736490211"}'
    resp = lti.login(lti_message_hint=hint)
    assert parse_auth_redirect(resp.headers["Location"])["lti_message_hint"] == hint


def test_l7_existing_query_string_on_auth_url_is_kept(app, key_server):
    from flask.testing import FlaskClient

    tp = TestPlatform(issuer="https://q.example.test", client_id="q", deployment_ids=["1"],
                      key_server=key_server, auth_login_url="https://q.example.test/auth?tenant=7")
    register(tp)
    client: FlaskClient = app.test_client()
    resp = client.post("/lti/login", data=tp.login_params())
    location = resp.headers["Location"]
    assert location.startswith("https://q.example.test/auth?tenant=7&")
    assert parse_auth_redirect(location)["tenant"] == "7"
