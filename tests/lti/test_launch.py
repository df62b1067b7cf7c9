"""id_token launch validation: checklist lines V1–V20, one or more tests each."""

from __future__ import annotations

import html
import logging
import re
import time
from urllib.parse import urlsplit

import pytest

from lti_tool.cache import get_cache
from lti_tool.courses.models import Course, Membership, Person
from lti_tool.extensions import db
from tests.conftest import LtiFlow, landed_in, register
from tests.lti.helpers import assert_refused, row_counts
from tests.support.platform import REMOVE, TestPlatform, b64, parse_auth_redirect

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"


def test_valid_launch_records_person_course_and_membership(lti):
    resp = lti.launch()
    assert landed_in(resp) == "/courses/1/"
    # The landing page is the dashboard, and its navigation says so.
    assert 'href="/courses/1/" aria-current="page">Course dashboard' in resp.get_data(as_text=True)
    person = db.session.scalars(db.select(Person)).one()
    course = db.session.scalars(db.select(Course)).one()
    membership = db.session.scalars(db.select(Membership)).one()
    assert (person.sub, person.name, person.email) == ("teacher-1", "Ada Teacher",
                                                       "ada@school.example")
    assert (course.context_id, course.title) == ("course-1", "Biology Year 7")
    assert membership.is_staff
    assert membership.active
    assert membership.roles == "instructor"


# V1 -------------------------------------------------------------------------------------------
def test_v1_missing_state_is_401(lti):
    lti.start()
    body = lti.tp.payload(nonce=lti.nonce)
    assert_refused(lti.post_launch(lti.tp.sign(body), state=""), 401, "V1", "has no 'state'")


def test_v1_state_not_bound_to_this_browser_is_401(lti):
    lti.start()
    body = lti.tp.payload(nonce=lti.nonce)
    lti.client.delete_cookie(f"lti1p3-{lti.state}", path="/lti/", domain="tool.example.org")
    resp = lti.post_launch(lti.tp.sign(body))
    assert_refused(resp, 401, "V1", "did not send back the tool's login cookie")
    assert "new window" in resp.get_data(as_text=True)


def test_v20_blocked_cookies_offer_the_same_login_in_a_new_window(lti, client, platform):
    hint = '{"cmid":412,"launchid":"ltilaunch23_1"}'
    lti.start(lti_message_hint=hint)
    body = lti.tp.payload(nonce=lti.nonce)
    lti.client.delete_cookie(f"lti1p3-{lti.state}", path="/lti/", domain="tool.example.org")
    page = html.unescape(lti.post_launch(lti.tp.sign(body)).get_data(as_text=True))
    link = re.search(r'<a class="button" href="([^"]+)" target="_blank" rel="noopener">', page)
    assert link, page
    url = urlsplit(link.group(1))
    # A one-time handle: the login's parameters stay on the server, out of the address.
    assert (url.scheme, url.netloc) == ("https", "tool.example.org")
    assert url.path.startswith("/lti/resume/")
    assert not url.query
    # The new tab's login is the same login (same person, link and target), started afresh.
    resp = client.get(url.path)
    auth = parse_auth_redirect(resp.headers["Location"])
    assert (auth["login_hint"], auth["lti_message_hint"]) == (
        lti.tp.login_params()["login_hint"], hint)
    fresh = LtiFlow(client, platform)
    fresh.state, fresh.nonce = auth["state"], auth["nonce"]
    assert fresh.launch().status_code == 200
    # Used once: the same link again starts nothing.
    again = client.get(url.path)
    assert again.status_code == 410
    assert "already been used or has expired" in again.get_data(as_text=True)


def test_v1_state_differs_from_cookie_is_401(lti):
    lti.start()
    body = lti.tp.payload(nonce=lti.nonce)
    lti.client.set_cookie(f"lti1p3-{lti.state}", "something-else", path="/lti/",
                          domain="tool.example.org")
    assert_refused(lti.post_launch(lti.tp.sign(body)), 401, "V1", "does not match")


def test_v1_state_is_single_use(lti):
    lti.start()
    token = lti.tp.sign(lti.tp.payload(nonce=lti.nonce))
    assert lti.post_launch(token).status_code == 200
    counts = row_counts()
    resp = lti.post_launch(token)
    assert resp.status_code == 401
    assert "expired or was already used" in html.unescape(resp.get_data(as_text=True))
    assert row_counts() == counts


def test_v1_expired_state_is_refused(lti):
    lti.start()
    get_cache().delete("lti-state:" + lti.state)
    body = lti.tp.payload(nonce=lti.nonce)
    assert_refused(lti.post_launch(lti.tp.sign(body)), 401, "V1", "expired or was already used")


# V2 -------------------------------------------------------------------------------------------
def test_v2_missing_id_token_is_rejected(lti):
    lti.start()
    assert_refused(lti.post_launch(None), 400, "V2", "id_token")


@pytest.mark.parametrize("token", ["abc", "a.b", "a.b.c.d", "!!!.???.###"])
def test_v2_malformed_id_token_is_rejected(lti, token):
    lti.start()
    assert_refused(lti.post_launch(token), 400, "V2", "")


def test_v2_payload_not_json_is_rejected(lti):
    lti.start()
    token = b64({"alg": "RS256", "kid": "k"}) + ".bm90IGpzb24." + "c2ln"
    assert_refused(lti.post_launch(token), 400, "V2", "")


# V3, V4 ---------------------------------------------------------------------------------------
def test_v3_no_kid_in_header_is_rejected(lti):
    resp = lti.launch(sign={"header": {"alg": "RS256", "typ": "JWT"}})
    assert_refused(resp, 401, "V3", "no key id (kid)")


def test_v4_hs256_is_rejected(lti):
    lti.start()
    from joserfc import jwt
    from joserfc.jwk import OctKey

    body = lti.tp.payload(nonce=lti.nonce)
    token = jwt.encode({"alg": "HS256", "kid": lti.tp.kid}, body, OctKey.import_key("s" * 32))
    assert_refused(lti.post_launch(token), 401, "V4", "'HS256'")


def test_v4_alg_none_is_rejected(lti):
    lti.start()
    body = lti.tp.payload(nonce=lti.nonce)
    token = b64({"alg": "none", "kid": lti.tp.kid}) + "." + b64(body) + "."
    assert_refused(lti.post_launch(token), 401, "V4", "'none'")


@pytest.mark.parametrize("extension", [
    {"crit": ["exp"]},
    {"b64": False, "crit": ["b64"]},
])
def test_v4_jws_extensions_are_rejected(lti, extension):
    """RFC 7797's unencoded payload would be signed as other bytes than the claims read."""
    lti.start()
    header = {"alg": "RS256", "kid": lti.tp.kid, **extension}
    token = b64(header) + "." + b64(lti.tp.payload(nonce=lti.nonce)) + ".c2ln"
    assert_refused(lti.post_launch(token), 401, "V4", "which LTI does not")


def test_v4_vendor_header_members_are_accepted(lti):
    from joserfc import jwt
    from joserfc.jws import JWSRegistry

    from tests.support.platform import rsa_key

    lti.start()
    header = {"alg": "RS256", "kid": lti.tp.kid, "typ": "JWT", "x-vendor-trace": "abc"}
    token = jwt.encode(header, lti.tp.payload(nonce=lti.nonce), rsa_key(lti.tp.key_name),
                       registry=JWSRegistry(strict_check_header=False))
    assert lti.post_launch(token).status_code == 200


def test_a_long_custom_claim_is_accepted(lti):
    """Platforms may send long custom values; only the request size limit bounds them."""
    assert lti.launch(custom={"notes": "x" * 200_000}).status_code == 200


# V5 -------------------------------------------------------------------------------------------
def test_v5_key_set_is_fetched_once_and_cached(lti, key_server, client):
    before = key_server.fetches(lti.tp.jwks_path)
    assert lti.launch().status_code == 200
    lti.state = None
    assert lti.launch().status_code == 200
    assert key_server.fetches(lti.tp.jwks_path) - before == 1


def test_v5_unknown_kid_triggers_one_refetch_after_rotation(lti, key_server):
    before = key_server.fetches(lti.tp.jwks_path)
    assert lti.launch().status_code == 200  # caches the key set
    lti.tp.rotate("platform-key-2", "platform-rotated")
    lti.state = None
    assert lti.launch().status_code == 200
    assert key_server.fetches(lti.tp.jwks_path) - before == 2


def test_v5_kid_still_unknown_after_refetch_is_rejected(lti):
    resp = lti.launch(sign={"kid": "never-published"})
    assert_refused(resp, 401, "V5", "'never-published' is not in the key set")


def test_v5_refetch_is_rate_limited(lti, key_server):
    assert lti.launch().status_code == 200
    before = key_server.fetches(lti.tp.jwks_path)
    for _ in range(3):
        lti.state = None
        assert lti.launch(sign={"kid": "forged"}).status_code == 401
    assert key_server.fetches(lti.tp.jwks_path) - before == 1


def test_v5_key_set_fetch_sends_a_user_agent(lti, key_server):
    lti.launch()
    path, headers = [r for r in key_server.requests if r[0] == lti.tp.jwks_path][-1]
    assert headers["User-Agent"].startswith("Staffroom/")


def test_v5_cache_control_max_age_is_honoured(app, lti, key_server):
    key_server.cache_control = "max-age=120"
    try:
        lti.launch()
        cache = app.extensions["staffroom_cache"]
        keys = [k for k in getattr(cache, "_data", {}) if k.startswith("keyset:")]
        if hasattr(cache, "_redis"):
            redis_keys = list(cache._redis.scan_iter(cache._k("keyset:*")))
            assert 0 < cache._redis.ttl(redis_keys[0]) <= 120
        else:
            expires, _ = cache._data[keys[0]]
            assert expires - time.monotonic() <= 120
    finally:
        key_server.cache_control = None


def test_v5_static_key_set_is_used_without_fetching(app, key_server, client):
    from tests.conftest import LtiFlow

    tp = TestPlatform(issuer="https://static.example.test", client_id="s", deployment_ids=["1"],
                      key_server=key_server)
    register(tp, key_set_url=None, key_set={"keys": [tp.public_jwk("platform", tp.kid)]})
    flow = LtiFlow(client, tp)
    assert flow.launch().status_code == 200
    assert key_server.fetches(tp.jwks_path) == 0



@pytest.mark.parametrize("unusable", [
    pytest.param(lambda jwk: {"kty": "EC", "crv": "P-256", "kid": jwk["kid"], "x": "AAAA",
                              "y": "AAAA"}, id="not-rsa"),
    pytest.param(lambda jwk: {**jwk, "n": "!!!not base64url!!!"}, id="malformed-modulus"),
    pytest.param(lambda jwk: {k: v for k, v in jwk.items() if k != "e"}, id="no-exponent"),
])
def test_v5_unusable_key_is_rejected(app, key_server, client, unusable):
    tp = TestPlatform(issuer="https://bad.example.test", client_id="b", deployment_ids=["1"],
                      key_server=key_server)
    register(tp, key_set_url=None, key_set={"keys": [unusable(tp.public_jwk("platform", tp.kid))]})
    assert_refused(LtiFlow(client, tp).launch(), 401, "V5",
                   f"the platform key '{tp.kid}' is not a usable RSA key")


def test_v5_a_key_replaced_under_the_same_kid_is_used_at_once(app, key_server, client):
    """Imported keys are kept by their exact content, never by kid alone."""
    tp = TestPlatform(issuer="https://swap.example.test", client_id="w", deployment_ids=["1"],
                      key_server=key_server)
    platform = register(tp, key_set_url=None,
                        key_set={"keys": [tp.public_jwk("platform", tp.kid)]})
    assert LtiFlow(client, tp).launch().status_code == 200
    platform.key_set = {"keys": [tp.public_jwk("attacker", tp.kid)]}
    db.session.commit()
    refused = LtiFlow(client, tp).launch()
    assert refused.status_code == 401
    assert "<code>V6</code>" in refused.get_data(as_text=True)
    assert LtiFlow(client, tp).launch(sign={"key_name": "attacker"}).status_code == 200

# V6 -------------------------------------------------------------------------------------------
def test_v6_tampered_payload_is_rejected(lti):
    lti.start()
    token = lti.tp.sign(lti.tp.payload(nonce=lti.nonce))
    header, _, signature = token.split(".")
    forged = lti.tp.payload(nonce=lti.nonce, sub="someone-else")
    assert_refused(lti.post_launch(f"{header}.{b64(forged)}.{signature}"), 401, "V6",
                   "signature is not valid")


def test_v6_signed_by_another_key_with_our_kid_is_rejected(lti):
    resp = lti.launch(sign={"key_name": "attacker"})
    assert_refused(resp, 401, "V6", "signature is not valid")


# V7 -------------------------------------------------------------------------------------------
def test_v7_issuer_differs_from_registration(lti):
    resp = lti.launch(iss="https://impostor.example.test")
    assert_refused(resp, 401, "V7", "issuer 'https://impostor.example.test'")


# V8 -------------------------------------------------------------------------------------------
def test_v8_aud_must_contain_client_id(lti):
    assert_refused(lti.launch(aud="another-client"), 401, "V8", "does not contain")


def test_v8_aud_array_containing_client_id_is_accepted(lti):
    assert lti.launch(aud=["client-abc"]).status_code == 200


def test_v8_several_audiences_require_azp(lti, key_server):
    register(TestPlatform(issuer=lti.tp.issuer, client_id="sibling", deployment_ids=["x"],
                          key_server=key_server))
    resp = lti.launch(aud=["client-abc", "sibling"])
    assert_refused(resp, 401, "V8", "no authorized party (azp)")


def test_v8_azp_must_be_our_client_id(lti):
    assert_refused(lti.launch(azp="someone-else"), 401, "V8", "azp) 'someone-else'")


def test_v8_untrusted_extra_audience_is_rejected(lti):
    resp = lti.launch(aud=["client-abc", "unknown-party"], azp="client-abc")
    assert_refused(resp, 401, "V8", "audiences this tool does not trust")


def test_v8_trusted_extra_audience_with_azp_is_accepted(lti, key_server):
    register(TestPlatform(issuer=lti.tp.issuer, client_id="sibling", deployment_ids=["x"],
                          key_server=key_server))
    assert lti.launch(aud=["client-abc", "sibling"], azp="client-abc").status_code == 200


# V9 -------------------------------------------------------------------------------------------
def test_v9_expired_token_is_rejected(lti):
    now = int(time.time())
    resp = lti.launch(iat=now - 200, exp=now - 61)
    assert_refused(resp, 401, "V9", "expired")


def test_v9_expiry_within_leeway_is_accepted(lti):
    now = int(time.time())
    assert lti.launch(iat=now - 100, exp=now - 30).status_code == 200


def test_v9_issued_in_the_future_is_rejected(lti):
    now = int(time.time())
    assert_refused(lti.launch(iat=now + 120, exp=now + 600), 401, "V9", "in the future")


def test_v9_issued_too_long_ago_is_rejected(lti):
    now = int(time.time())
    assert_refused(lti.launch(iat=now - 3000, exp=now + 600), 401, "V9", "too old")


def test_v9_not_yet_valid_nbf_is_rejected(lti):
    now = int(time.time())
    assert_refused(lti.launch(nbf=now + 120), 401, "V9", "in the future")


@pytest.mark.parametrize("claim", ["exp", "iat", "nbf"])
@pytest.mark.parametrize("value", ["soon", True, [1], float("nan"), float("inf"),
                                   float("-inf"), 10**400])
def test_v9_time_that_is_not_a_time_is_rejected(lti, claim, value):
    assert_refused(lti.launch(**{claim: value}), 401, "V9", f"'{claim}' claim is not a time")


@pytest.mark.parametrize("claim", ["exp", "iat"])
def test_v9_missing_timestamp_is_rejected(lti, claim):
    assert_refused(lti.launch(**{claim: REMOVE}), 401, "V9", f"no '{claim}' claim")


# V10 ------------------------------------------------------------------------------------------
def test_v10_missing_nonce_is_rejected(lti):
    assert_refused(lti.launch(nonce=REMOVE), 401, "V10", "no nonce")


def test_v10_nonce_not_issued_for_this_state_is_rejected(lti):
    assert_refused(lti.launch(nonce="made-up-nonce"), 401, "V10", "not the one issued")


def test_v10_used_nonce_is_rejected_even_with_a_fresh_state(lti):
    assert lti.launch().status_code == 200
    used_nonce = lti.nonce
    lti.start()
    record = get_cache().get("lti-state:" + lti.state)
    get_cache().set("lti-state:" + lti.state, {**record, "nonce": used_nonce}, 600)
    counts = row_counts()
    resp = lti.post_launch(lti.tp.sign(lti.tp.payload(nonce=used_nonce)))
    assert resp.status_code == 401
    assert "already used (replay)" in resp.get_data(as_text=True)
    assert row_counts() == counts


# V11 ------------------------------------------------------------------------------------------
def test_v11_missing_version_is_rejected(lti):
    assert_refused(lti.launch(version=REMOVE), 400, "V11", "no LTI version")


def test_v11_wrong_version_is_rejected(lti):
    assert_refused(lti.launch(version="1.1.0"), 400, "V11", "'1.1.0' is not 1.3.0")


def test_a_refused_launch_teaches_the_registration_nothing(lti):
    """What a launch teaches (school domains that frame the tool, the LMS product) is kept
    only once every check passed: a refused one changes neither the CSP nor the row."""
    resp = lti.launch(
        version="1.1.0",
        launch_presentation={"return_url": "https://evil.example.com/course"},
        tool_platform={"product_family_code": "canvas"},
    )
    assert_refused(resp, 400, "V11", "'1.1.0' is not 1.3.0")


# V12 ------------------------------------------------------------------------------------------
def test_v12_missing_message_type_is_rejected(lti):
    assert_refused(lti.launch(message_type=REMOVE), 400, "V12", "no message_type")


def test_v12_unknown_message_type_is_rejected(lti):
    assert_refused(lti.launch(message_type="LtiSomethingElse"), 400, "V12", "'LtiSomethingElse'")


# V13 ------------------------------------------------------------------------------------------
def test_v13_missing_deployment_id_is_rejected(lti):
    assert_refused(lti.launch(deployment_id=REMOVE), 400, "V13", "no deployment_id")


def test_v13_overlong_deployment_id_is_rejected(lti):
    assert_refused(lti.launch(deployment_id="d" * 256), 400, "V13", "longer than 255")


def test_v13_unknown_deployment_id_is_rejected(lti):
    resp = lti.launch(deployment_id="other-install")
    assert_refused(resp, 403, "V13",
                   "unknown deployment id 'other-install' for platform 'Test LMS': "
                   "add it on the admin page")


# V14 ------------------------------------------------------------------------------------------
def test_v14_resource_link_without_id_is_rejected(lti):
    assert_refused(lti.launch(resource_link={"title": "x"}), 400, "V14", "no resource_link id")


def test_v14_missing_target_link_uri_is_rejected(lti):
    assert_refused(lti.launch(target_link_uri=REMOVE), 400, "V14", "no target_link_uri")


def test_v14_target_link_uri_differs_from_login(lti):
    resp = lti.launch(target_link_uri="https://tool.example.org/somewhere-else")
    assert_refused(resp, 400, "V14", "not the one the login was started for")


# V15 ------------------------------------------------------------------------------------------
def test_v15_missing_roles_claim_is_rejected(lti):
    assert_refused(lti.launch(roles=REMOVE), 400, "V15", "no roles claim")


def test_v15_empty_roles_are_accepted(lti):
    resp = lti.launch(roles=[])
    assert resp.status_code == 200
    assert "not on this course" in resp.get_data(as_text=True)


@pytest.mark.parametrize(
    ("roles", "staff"),
    [
        (["Instructor"], True),
        (["Learner"], False),
        (["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner",
          "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"], True),
        (["http://example.com/unknown#Role",
          "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"], True),
    ],
)
def test_v15_short_multiple_and_unknown_roles_are_accepted(lti, roles, staff):
    resp = lti.launch(roles=roles)
    assert resp.status_code == 200
    assert db.session.scalars(db.select(Membership)).one().is_staff is staff


# V16 ------------------------------------------------------------------------------------------
def test_v16_missing_sub_is_rejected(lti):
    assert_refused(lti.launch(sub=REMOVE), 400, "V16", "no user (sub)")


# V17 ------------------------------------------------------------------------------------------
def test_v17_no_pii_launch_succeeds(lti):
    resp = lti.launch(name=REMOVE, given_name=REMOVE, family_name=REMOVE, email=REMOVE)
    assert resp.status_code == 200
    person = db.session.scalars(db.select(Person)).one()
    assert person.name is None
    assert person.email is None
    assert person.display_name.startswith("User ")


def test_v17_email_without_context_succeeds(lti):
    resp = lti.launch(context=REMOVE, name=REMOVE)
    assert resp.status_code == 200
    assert "Open Staffroom from a course" in resp.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Course)) == 0


# V18 ------------------------------------------------------------------------------------------
def test_v18_context_without_id_is_rejected(lti):
    assert_refused(lti.launch(context={"title": "No id"}), 400, "V18", "context claim has no id")


def test_v18_unknown_claims_are_ignored(lti):
    resp = lti.launch(**{"https://example.com/claim/unknown": {"x": 1}})
    assert resp.status_code == 200


# V19 ------------------------------------------------------------------------------------------
def _dl_claims(**settings):
    base = {"deep_link_return_url": "https://lms.example.test/dl/return",
            "accept_types": ["ltiResourceLink"]}
    base.update(settings)
    return {"message_type": "LtiDeepLinkingRequest", "resource_link": REMOVE,
            DL: {k: v for k, v in base.items() if v is not REMOVE}}


def test_v19_deep_linking_without_return_url_is_rejected(lti):
    resp = lti.launch(**_dl_claims(deep_link_return_url=REMOVE))
    assert_refused(resp, 400, "V19", "no deep_link_return_url")


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:text/html,x", "/relative/return", "https://a b.test/"]
)
def test_v19_deep_linking_return_url_must_be_an_http_address(lti, url):
    """The tool posts the teacher's choice to it: it must be a real address of the LMS."""
    resp = lti.launch(**_dl_claims(deep_link_return_url=url))
    assert_refused(resp, 400, "V19", "not an http(s) address")


def test_v19_deep_linking_without_accept_types_is_rejected(lti):
    assert_refused(lti.launch(**_dl_claims(accept_types=REMOVE)), 400, "V19", "no accept_types")


def test_v19_deep_linking_without_settings_is_rejected(lti):
    resp = lti.launch(message_type="LtiDeepLinkingRequest", resource_link=REMOVE)
    assert_refused(resp, 400, "V19", "no deep_linking_settings")


# V20 ------------------------------------------------------------------------------------------
def test_v20_refusal_is_logged_with_platform_and_no_secrets(lti, caplog):
    caplog.set_level(logging.WARNING, logger="lti_tool.lti")
    resp = lti.launch(deployment_id="other-install")
    assert resp.status_code == 403
    (record,) = [r for r in caplog.records if "lti refused" in r.getMessage()]
    message = record.getMessage()
    assert "code=V13" in message
    assert "iss=https://lms.example.test" in message
    assert "client_id=client-abc" in message
    assert "deployment_id=other-install" in message
    assert lti.nonce not in message
    assert lti.state not in message
    page = resp.get_data(as_text=True)
    assert lti.nonce not in page
    assert lti.state not in page
    assert "eyJ" not in page


def test_v5_concurrent_first_launches_fetch_the_key_set_once(app, lti, key_server):
    """Threads that all miss the cache wait for one fetch instead of each fetching."""
    import threading

    from lti_tool.lti import keysets
    from lti_tool.lti.models import Platform

    platform = db.session.scalars(db.select(Platform)).one()
    before = key_server.fetches(lti.tp.jwks_path)
    results, errors = [], []

    def worker():
        with app.app_context():
            try:
                results.append(keysets.find_key(db.session.merge(platform), lti.tp.kid)["kid"])
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert results == [lti.tp.kid] * 8
    assert key_server.fetches(lti.tp.jwks_path) - before == 1
