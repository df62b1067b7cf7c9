"""Service access tokens and calls: checklist S1 (token request, caching), S2 (Link), S4.

The platform side is a real HTTP server on 127.0.0.1 (:class:`ServiceServer`),
so the requests session, headers, timeouts and the shared cache are all the
ones production uses.
"""

from __future__ import annotations

import time

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from lti_tool.cache import RedisCache, get_cache
from lti_tool.extensions import db
from lti_tool.lti import http, keys
from lti_tool.lti.errors import ServiceError
from lti_tool.lti.models import Platform
from lti_tool.lti.services import (
    ASSERTION_LIFETIME,
    TOKEN_SAFETY_MARGIN,
    StaffroomServiceConnector,
    connector_for,
    next_link,
    token_cache_key,
)
from tests.support.services import register_with_services

NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
AGS_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"


@pytest.fixture
def registration(app, key_server, services) -> Platform:
    return register_with_services(key_server, services)


def verify_assertion(assertion: str) -> jwt.Token:
    """Decode a client assertion with the tool's published JWKS (what a platform does)."""
    return jwt.decode(assertion, KeySet.import_key_set(keys.jwks()), algorithms=["RS256"])


# --- S1: the token request --------------------------------------------------------------


def test_s1_token_request_shape(registration, services):
    before = int(time.time())
    token = connector_for(registration).get_access_token([NRPS_SCOPE, AGS_SCOPE])

    assert token == "token-1"
    (request,) = services.token_requests
    assert request.path == "/token"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.form["grant_type"] == "client_credentials"
    assert request.form["client_assertion_type"] == (
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    )
    assert request.form["scope"] == f"{AGS_SCOPE} {NRPS_SCOPE}"

    decoded = verify_assertion(request.form["client_assertion"])
    assert decoded.header["alg"] == "RS256"
    assert decoded.header["kid"] == keys.signing_key().kid
    claims = decoded.claims
    assert claims["iss"] == claims["sub"] == "client-abc"
    assert claims["aud"] == services.url("/token")
    assert claims["jti"]
    assert before <= claims["iat"] <= int(time.time())
    assert claims["iat"] < claims["exp"] <= claims["iat"] + ASSERTION_LIFETIME
    assert ASSERTION_LIFETIME <= 300


def test_s1_assertion_signed_with_newest_key_after_rotation(registration, services):
    old = keys.signing_key()
    new = keys.generate_key()
    connector_for(db.session.get(Platform, registration.id)).get_access_token([NRPS_SCOPE])
    decoded = verify_assertion(services.token_requests[0].form["client_assertion"])
    assert decoded.header["kid"] == new.kid != old.kid


def test_s1_assertion_audience_is_configured_audience(app, key_server, services):
    platform = register_with_services(
        key_server, services, auth_audience="https://auth.brightspace.example/core/token"
    )
    connector_for(platform).get_access_token([NRPS_SCOPE])
    claims = verify_assertion(services.token_requests[0].form["client_assertion"]).claims
    assert claims["aud"] == "https://auth.brightspace.example/core/token"


def test_s1_each_assertion_has_a_unique_jti(registration):
    connector = connector_for(registration)
    jtis = {verify_assertion(connector.client_assertion()).claims["jti"] for _ in range(5)}
    assert len(jtis) == 5


def test_s1_token_cached_until_expires_in_minus_margin(registration, services, monkeypatch):
    connector = connector_for(registration)
    assert connector.get_access_token([NRPS_SCOPE]) == "token-1"
    assert connector.get_access_token([NRPS_SCOPE]) == "token-1"
    assert len(services.token_requests) == 1

    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 3600 - TOKEN_SAFETY_MARGIN - 2)
    assert connector.get_access_token([NRPS_SCOPE]) == "token-1"
    assert len(services.token_requests) == 1

    monkeypatch.setattr(time, "time", lambda: real_time() + 3600 - TOKEN_SAFETY_MARGIN + 1)
    assert connector.get_access_token([NRPS_SCOPE]) == "token-2"
    assert len(services.token_requests) == 2
    # The new token is cached in turn.
    assert connector.get_access_token([NRPS_SCOPE]) == "token-2"
    assert len(services.token_requests) == 2


def test_s1_short_lived_token_expires_in_real_time(registration, services):
    services.token_fields["expires_in"] = TOKEN_SAFETY_MARGIN + 1
    connector = connector_for(registration)
    assert connector.get_access_token([NRPS_SCOPE]) == "token-1"
    assert connector.get_access_token([NRPS_SCOPE]) == "token-1"
    time.sleep(1.1)
    assert connector.get_access_token([NRPS_SCOPE]) == "token-2"


@pytest.mark.parametrize("expires_in", [None, 0, TOKEN_SAFETY_MARGIN, "soon", True])
def test_s1_token_not_cached_without_a_usable_expires_in(registration, services, expires_in):
    services.token_fields["expires_in"] = expires_in
    connector = connector_for(registration)
    assert connector.get_access_token([NRPS_SCOPE]) == "token-1"
    assert connector.get_access_token([NRPS_SCOPE]) == "token-2"
    key = token_cache_key("https://lms.example.test", "client-abc", [NRPS_SCOPE])
    assert get_cache().get(key) is None


def test_s1_expires_in_as_a_string_is_honoured(registration, services):
    services.token_fields["expires_in"] = "3600"
    connector = connector_for(registration)
    connector.get_access_token([NRPS_SCOPE])
    connector.get_access_token([NRPS_SCOPE])
    assert len(services.token_requests) == 1


def test_s1_token_cached_per_registration_and_sorted_scopes(app, key_server, services):
    school_a = register_with_services(key_server, services, client_id="10000000000001")
    school_b = register_with_services(key_server, services, client_id="10000000000002")
    a = connector_for(school_a)
    assert a.get_access_token([NRPS_SCOPE, AGS_SCOPE]) == "token-1"
    assert a.get_access_token([AGS_SCOPE, NRPS_SCOPE]) == "token-1"
    # Same issuer (Canvas Cloud), other client_id: its own token.
    assert connector_for(school_b).get_access_token([NRPS_SCOPE, AGS_SCOPE]) == "token-2"
    # Other scopes: another token.
    assert a.get_access_token([NRPS_SCOPE]) == "token-3"
    issuers = [verify_assertion(r.form["client_assertion"]).claims["iss"]
               for r in services.token_requests]
    assert issuers == ["10000000000001", "10000000000002", "10000000000001"]


def test_s1_token_shared_through_the_configured_cache(app, registration, services):
    connector_for(registration).get_access_token([NRPS_SCOPE])
    key = token_cache_key("https://lms.example.test", "client-abc", [NRPS_SCOPE])
    assert get_cache().get(key)["token"] == "token-1"

    # Another connector (another request, another worker) with its own session reuses it.
    other = StaffroomServiceConnector(
        connector_for(registration)._registration, http.session(), cache=get_cache()
    )
    assert other.get_access_token([NRPS_SCOPE]) == "token-1"
    assert len(services.token_requests) == 1

    if app.config["REDIS_URL"]:
        # A separate Redis client, as another gunicorn worker or host would hold.
        worker = RedisCache(app.config["REDIS_URL"], app.config["CACHE_PREFIX"])
        assert worker.get(key)["token"] == "token-1"
        third = StaffroomServiceConnector(other._registration, cache=worker)
        assert third.get_access_token([NRPS_SCOPE]) == "token-1"
        assert len(services.token_requests) == 1


# --- failures become ServiceError -----------------------------------------------------


@pytest.mark.parametrize("status", [500, 401, 400])
def test_s1_token_endpoint_error_is_a_service_error(registration, services, status):
    services.token_status = status
    with pytest.raises(ServiceError) as caught:
        connector_for(registration).get_access_token([NRPS_SCOPE])
    err = caught.value
    assert err.code == "S1"
    assert f"HTTP {status}" in err.message
    assert "(invalid_client)" in err.message
    assert services.url("/token") in err.message
    assert "client-abc" in err.message
    assert err.log == {"iss": "https://lms.example.test", "client_id": "client-abc"}


@pytest.mark.parametrize(
    ("raw", "text"),
    [(b"<html>Moodle error</html>", "did not answer JSON"),
     (b'{"token_type": "Bearer"}', "sent no access_token"),
     (b'["token"]', "sent no access_token")],
)
def test_s1_unusable_token_answer_is_a_service_error(registration, services, raw, text):
    services.token_raw = raw
    with pytest.raises(ServiceError, match=text):
        connector_for(registration).get_access_token([NRPS_SCOPE])


def test_s1_unreachable_token_endpoint_is_a_service_error(app, key_server, services):
    platform = register_with_services(key_server, services)
    platform.auth_token_url = "http://127.0.0.1:9/token"  # the discard port: refused
    db.session.commit()
    with pytest.raises(ServiceError, match="could not reach the token endpoint .* ConnectionError"):
        connector_for(platform).get_access_token([NRPS_SCOPE])


def test_s1_token_request_uses_the_configured_timeout(app, registration, services):
    app.config["HTTP_TIMEOUT"] = 0.2
    services.token_delay = 1.0
    started = time.monotonic()
    with pytest.raises(ServiceError, match="ReadTimeout"):
        connector_for(registration).get_access_token([NRPS_SCOPE])
    assert time.monotonic() - started < 0.9


def test_service_error_never_contains_the_token(registration, services):
    services.serve("/broken", {"members": []}, status=500)
    connector = connector_for(registration)
    with pytest.raises(ServiceError) as caught:
        connector.make_service_request([NRPS_SCOPE], services.url("/broken"))
    assert "HTTP 500" in caught.value.message
    assert services.issued
    for token in services.issued:
        assert token not in caught.value.message
        assert token not in str(caught.value)


def test_s1_revoked_token_is_replaced_once(registration, services):
    services.serve("/data", {"ok": True})
    connector = connector_for(registration)
    assert connector.make_service_request([NRPS_SCOPE], services.url("/data"))["body"] == {
        "ok": True
    }
    services.revoked.add("token-1")
    assert connector.make_service_request([NRPS_SCOPE], services.url("/data"))["body"] == {
        "ok": True
    }
    assert len(services.token_requests) == 2
    assert services.service_requests[-1].headers["Authorization"] == "Bearer token-2"

    # A platform that refuses every token: one retry, then a clear error.
    services.revoked.update({"token-2", "token-3"})
    with pytest.raises(ServiceError, match="HTTP 401"):
        connector.make_service_request([NRPS_SCOPE], services.url("/data"))
    assert len(services.token_requests) == 3
    assert [r.headers["Authorization"] for r in services.service_requests[-2:]] == [
        "Bearer token-2", "Bearer token-3"
    ]


# --- S4: User-Agent on every call -------------------------------------------------------


def test_s4_user_agent_on_every_call(registration, services):
    services.serve("/data", {"ok": True})
    connector = connector_for(registration)
    connector.make_service_request([NRPS_SCOPE], services.url("/data"))
    connector.make_service_request([AGS_SCOPE], services.url("/data"))
    assert len(services.requests) == 4
    for request in services.requests:
        assert request.headers["User-Agent"] == http.USER_AGENT
        assert request.headers["User-Agent"].startswith("Staffroom/")


# --- S2: the Link header -----------------------------------------------------------------

CANVAS_LINK = (
    '<https://northwind.instructure.com/api/lti/courses/4812/names_and_roles?page=1&per_page=3>;'
    ' rel="current",<https://northwind.instructure.com/api/lti/courses/4812/names_and_roles?'
    'page=2&per_page=3>; rel="next",<https://northwind.instructure.com/api/lti/courses/4812/'
    'names_and_roles?page=1&per_page=3>; rel="first",<https://northwind.instructure.com/api/lti/'
    'courses/4812/names_and_roles?page=14&per_page=3>; rel="last"'
)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (CANVAS_LINK,
         "https://northwind.instructure.com/api/lti/courses/4812/names_and_roles?page=2&per_page=3"),
        ('<https://learn.example/mod/lti/services.php/CourseSection/58/bindings/7/memberships'
         '?limit=2&from=2&rlid=23>; rel="next"',
         "https://learn.example/mod/lti/services.php/CourseSection/58/bindings/7/memberships"
         "?limit=2&from=2&rlid=23"),
        ('<https://lms.example/Roster?Cursor=AbCdEf>; rel="NEXT"',
         "https://lms.example/Roster?Cursor=AbCdEf"),
        ("<https://lms.example/p?page=3>; rel=next", "https://lms.example/p?page=3"),
        ('<https://lms.example/p?page=9>; rel="last next"', "https://lms.example/p?page=9"),
        ('<https://lms.example/p?page=1>; rel="prev", <https://lms.example/p?page=3>;'
         ' title="more"; rel="next"', "https://lms.example/p?page=3"),
        ("</api/Members?Page=2>; rel=\"next\"", "https://lms.example/api/Members?Page=2"),
        ('<https://lms.example/p?page=1>; rel="current",<https://lms.example/p?page=1>;'
         ' rel="first"', None),
        ('<https://lms.example/p?page=2>; rel="nextpage"', None),
        ("", None),
        (None, None),
    ],
)
def test_s2_next_link_is_followed_case_preserved(header, expected):
    assert next_link(header, "https://lms.example/api/Members?Page=1") == expected
