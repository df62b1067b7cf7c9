"""Edges of the login and launch checks that a mutation audit found no test would notice.

One test per check, named after its line of the LTI checklist (L1–L7, V1–V20, D1–D5).
Every test runs on SQLite with the in-process cache and, in CI, on PostgreSQL with Redis.
"""

from __future__ import annotations

import html
import logging
import threading
import time
from types import SimpleNamespace
from typing import Any

import pytest
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey
from joserfc.jws import JWSRegistry

from lti_tool.cache import get_cache
from lti_tool.extensions import db
from lti_tool.lti import keysets
from lti_tool.lti.launch import _ID_TOKEN_REGISTRY
from lti_tool.lti.models import Deployment, Platform
from tests.conftest import LtiFlow
from tests.lti.helpers import assert_refused, row_counts
from tests.support.platform import REMOVE, TestPlatform, b64, register

DL = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
ISSUER = "https://lms.example.test"
CLIENT_ID = "client-abc"


def remaining_ttl(key: str) -> float | None:
    """Seconds until ``key`` expires in the shared cache (``None``: it never does)."""
    cache = get_cache()
    if hasattr(cache, "_redis"):
        ttl = cache._redis.ttl(cache._k(key))
        assert ttl != -2, f"{key} is not in the cache"
        return None if ttl == -1 else ttl
    assert key in cache._data, f"{key} is not in the cache"
    expires, _ = cache._data[key]
    return None if expires is None else expires - time.monotonic()


def raw_token(header: Any, payload: Any) -> str:
    """A token with these JSON parts and a made-up signature (never verified: refused before)."""
    return f"{b64(header)}.{b64(payload)}.c2ln"


def assert_refused_unchanged(resp, status: int, code: str, text: str, counts) -> None:
    """``assert_refused`` after earlier launches wrote rows: nothing more was written."""
    body = html.unescape(resp.get_data(as_text=True))
    assert resp.status_code == status, body
    assert f"<code>{code}</code>" in body, body
    assert text in body, body
    assert row_counts() == counts


def refusal_log(caplog) -> str:
    (record,) = [r for r in caplog.records
                 if r.name == "lti_tool.lti" and "lti refused" in r.getMessage()]
    return record.getMessage()


class SlowCache:
    """The shared cache with each operation 20 ms late, to widen the window of any race."""

    def __init__(self, cache: Any) -> None:
        self._cache = cache

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._cache, name)
        if name.startswith("_") or not callable(attr):
            return attr

        def slow(*args: Any, **kwargs: Any) -> Any:
            time.sleep(0.02)
            return attr(*args, **kwargs)

        return slow


# L6 -------------------------------------------------------------------------------------------
def test_l6_state_ttl_is_at_most_lti_state_ttl(app, lti):
    auth = lti.start()
    ttl = remaining_ttl("lti-state:" + auth["state"])
    limit = app.config["LTI_STATE_TTL"]
    assert ttl is not None, "the state record never expires"
    assert limit - 30 < ttl <= limit


def test_l6_nonce_differs_from_state(lti):
    auth = lti.start()
    assert auth["nonce"] != auth["state"]
    assert get_cache().get("lti-state:" + auth["state"])["nonce"] != auth["state"]


# V2 -------------------------------------------------------------------------------------------
def test_v2_payload_that_is_a_json_array_is_rejected(lti):
    lti.start()
    token = raw_token({"alg": "RS256", "kid": lti.tp.kid, "typ": "JWT"}, [1, 2])
    assert_refused(lti.post_launch(token), 400, "V2", "payload is not a JSON object")


def test_v2_header_that_is_a_json_array_is_rejected(lti):
    lti.start()
    token = raw_token([1, 2], lti.tp.payload(nonce=lti.nonce))
    assert_refused(lti.post_launch(token), 400, "V2", "header is not a JSON object")


def test_v2_launch_without_id_token_field_says_so(lti):
    lti.start()
    assert_refused(lti.post_launch(None), 400, "V2", "the launch has no id_token")


# V4 -------------------------------------------------------------------------------------------
def test_v4_id_token_registry_refuses_hs256_and_none():
    key = OctKey.import_key("s" * 32)
    hs256 = jwt.encode({"alg": "HS256", "kid": "k"}, {"sub": "x"}, key)
    # The token is well formed and verifies where HS256 is allowed: only the algorithm differs.
    assert jwt.decode(hs256, key, registry=JWSRegistry(algorithms=["HS256"])).claims == {
        "sub": "x"
    }
    with pytest.raises(JoseError):
        jwt.decode(hs256, key, registry=_ID_TOKEN_REGISTRY)
    unsigned = b64({"alg": "none", "kid": "k"}) + "." + b64({"sub": "x"}) + "."
    with pytest.raises(JoseError):
        jwt.decode(unsigned, key, registry=_ID_TOKEN_REGISTRY)


# V5 -------------------------------------------------------------------------------------------
def test_v5_cache_control_max_age_above_the_limit_is_capped(app, lti, key_server):
    limit = app.config["LTI_KEYSET_MAX_AGE"]
    key_server.cache_control = f"public, max-age={limit * 100}"
    try:
        assert lti.launch().status_code == 200
    finally:
        key_server.cache_control = None
    ttl = remaining_ttl(keysets._cache_key(lti.tp.key_set_url))
    assert ttl is not None, "the key set never expires"
    assert 0 < ttl <= limit


def test_v5_key_set_without_cache_control_is_kept_at_most_the_limit(app, lti, key_server):
    key_server.cache_control = None
    assert lti.launch().status_code == 200
    ttl = remaining_ttl(keysets._cache_key(lti.tp.key_set_url))
    assert ttl is not None, "the key set never expires"
    assert 0 < ttl <= app.config["LTI_KEYSET_MAX_AGE"]


def test_v5_kid_not_in_static_key_set_is_rejected(app, client, key_server):
    tp = TestPlatform(issuer="https://static-kid.example.test", client_id="s",
                      deployment_ids=["1"], key_server=key_server)
    register(tp, key_set_url=None, key_set={"keys": [tp.public_jwk("platform", tp.kid)]})
    resp = LtiFlow(client, tp).launch(sign={"kid": "not-stored"})
    assert_refused(resp, 401, "V5", "'not-stored' is not in the key set stored for platform")
    assert key_server.fetches(tp.jwks_path) == 0


def test_v5_per_process_key_memo_expires(app, lti, key_server, monkeypatch):
    assert lti.launch().status_code == 200  # the kid is now in this process's memo
    # The platform withdraws the key, and the shared cache no longer holds the old set.
    key_server.key_sets[lti.tp.jwks_path] = {"keys": []}
    get_cache().delete(keysets._cache_key(lti.tp.key_set_url))
    # Within MEMO_SECONDS the memo still answers (so what follows is the memo expiring).
    lti.state = None
    assert lti.launch().status_code == 200
    counts = row_counts()
    real_monotonic = time.monotonic
    monkeypatch.setattr(keysets, "time", SimpleNamespace(
        monotonic=lambda: real_monotonic() + keysets.MEMO_SECONDS + 1, sleep=time.sleep,
    ))
    lti.state = None
    assert_refused_unchanged(lti.launch(), 401, "V5",
                             f"'{lti.tp.kid}' is not in the key set published", counts)


# V7 -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("iss", [ISSUER + "/", "https://LMS.example.test", ISSUER.upper()],
                         ids=["trailing-slash", "host-case", "all-case"])
def test_v7_issuer_must_match_exactly(lti, iss):
    assert_refused(lti.launch(iss=iss), 401, "V7", f"the id_token issuer '{iss}' is not")


# V8 -------------------------------------------------------------------------------------------
def test_v8_extra_audience_of_another_issuer_is_not_trusted(lti, key_server):
    register(TestPlatform(issuer="https://other-lms.example.test", client_id="sibling",
                          deployment_ids=["x"], key_server=key_server))
    resp = lti.launch(aud=[CLIENT_ID, "sibling"], azp=CLIENT_ID)
    assert_refused(resp, 401, "V8", "audiences this tool does not trust")


def test_v8_extra_audience_of_a_disabled_registration_is_not_trusted(lti, key_server):
    register(TestPlatform(issuer=ISSUER, client_id="sibling", deployment_ids=["x"],
                          key_server=key_server), active=False)
    resp = lti.launch(aud=[CLIENT_ID, "sibling"], azp=CLIENT_ID)
    assert_refused(resp, 401, "V8", "audiences this tool does not trust")


# V9 -------------------------------------------------------------------------------------------
def test_v9_max_token_age_boundary(app, lti):
    max_age, leeway = app.config["LTI_MAX_TOKEN_AGE"], app.config["LTI_CLOCK_LEEWAY"]
    now = int(time.time())
    resp = lti.launch(iat=now - (max_age + leeway + 5), exp=now + 600)
    assert_refused(resp, 401, "V9", "too old")
    lti.state = None
    now = int(time.time())
    assert lti.launch(iat=now - (max_age - 5), exp=now + 600).status_code == 200


# V10 ------------------------------------------------------------------------------------------
def test_v10_spent_nonce_is_kept_at_least_as_long_as_a_state(app, lti):
    assert lti.launch().status_code == 200
    ttl = remaining_ttl("lti-nonce:" + lti.nonce)
    assert ttl is not None, "the spent nonce is never forgotten"
    assert ttl >= app.config["LTI_STATE_TTL"]


def test_v10_concurrent_launches_of_one_id_token_succeed_once(app, platform, monkeypatch):
    """One id_token, posted at once from several browsers whose states all name its nonce."""
    flows = [LtiFlow(app.test_client(), platform) for _ in range(6)]
    for flow in flows:
        flow.start()
    nonce = flows[0].nonce
    for flow in flows[1:]:
        record = get_cache().get("lti-state:" + flow.state)
        get_cache().set("lti-state:" + flow.state, {**record, "nonce": nonce},
                        app.config["LTI_STATE_TTL"])
    token = platform.sign(platform.payload(nonce=nonce))
    # The key set is fetched before, so that no thread waits for another's fetch.
    keysets.find_key(db.session.scalars(db.select(Platform)).one(), platform.kid)
    start = threading.Barrier(len(flows))
    results: list[tuple[int, str]] = []
    errors: list[BaseException] = []

    def post(flow: LtiFlow) -> None:
        try:
            start.wait()
            resp = flow.post_launch(token)
            results.append((resp.status_code, html.unescape(resp.get_data(as_text=True))))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=post, args=(flow,)) for flow in flows]
    # Every cache operation now takes 20 ms: a spend made of several operations (read, then
    # write) would let the threads, which arrive within a few ms of each other, all pass.
    monkeypatch.setitem(app.extensions, "staffroom_cache", SlowCache(get_cache()))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert sorted(status for status, _ in results) == [200] + [401] * (len(flows) - 1)
    for status, body in results:
        if status == 401:
            assert "<code>V10</code>" in body, body
            assert "already used (replay)" in body, body
    assert row_counts() == (1, 1, 1)


# V13 ------------------------------------------------------------------------------------------
def test_v13_deployment_disabled_between_login_and_launch_is_rejected(lti):
    lti.start(lti_deployment_id=None)
    deployment = db.session.scalars(db.select(Deployment)).one()
    deployment.active = False
    db.session.commit()
    assert_refused(lti.launch(), 403, "V13", "unknown deployment id 'deployment-1'")


# V14 ------------------------------------------------------------------------------------------
def _deep_linking(**claims: Any) -> dict[str, Any]:
    settings = {"deep_link_return_url": "https://lms.example.test/dl/return",
                "accept_types": ["ltiResourceLink"]}
    return {"message_type": "LtiDeepLinkingRequest", "resource_link": REMOVE, DL: settings,
            **claims}


def test_v14_deep_linking_target_link_uri_differs_from_login(lti):
    resp = lti.launch(**_deep_linking(target_link_uri="https://tool.example.org/lti/elsewhere"))
    assert_refused(resp, 400, "V14", "not the one the login was started for")


def test_v14_target_link_uri_off_our_origin_is_rejected_even_if_the_login_had_it(app, lti):
    lti.start()
    off_origin = "https://evil.example.com/lti/launch"
    key = "lti-state:" + lti.state
    get_cache().set(key, {**get_cache().get(key), "target_link_uri": off_origin},
                    app.config["LTI_STATE_TTL"])
    resp = lti.launch(target_link_uri=off_origin)
    assert_refused(resp, 400, "V14", "the target_link_uri is not on this tool's address")


# V16 ------------------------------------------------------------------------------------------
def test_v16_sub_that_is_a_number_is_rejected(lti):
    assert_refused(lti.launch(sub=12345), 400, "V16", "no user (sub)")


# V20 ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("params", "code", "iss", "client_id"),
    [
        pytest.param({"client_id": "someone-else"}, "L3", ISSUER, "someone-else", id="L3"),
        pytest.param({"lti_deployment_id": "not-installed"}, "L4", ISSUER, CLIENT_ID, id="L4"),
    ],
)
def test_v20_login_refusal_is_logged_with_iss_and_client_id(lti, caplog, params, code, iss,
                                                           client_id):
    caplog.set_level(logging.WARNING, logger="lti_tool.lti")
    assert_refused(lti.login(**params), 400, code, "")
    message = refusal_log(caplog)
    assert f"code={code}" in message
    assert f"iss={iss}" in message
    assert f"client_id={client_id}" in message


@pytest.mark.parametrize(
    ("claims", "code", "status", "iss"),
    [
        pytest.param({"iss": "https://impostor.example.test"}, "V7", 401,
                     "https://impostor.example.test", id="V7-issuer"),
        pytest.param({"aud": "another-client"}, "V8", 401, ISSUER, id="V8-aud"),
        pytest.param({"deployment_id": "other-install"}, "V13", 403, ISSUER,
                     id="V13-unknown-deployment"),
    ],
)
def test_v20_launch_refusal_is_logged_with_iss_and_client_id(lti, caplog, claims, code, status,
                                                            iss):
    caplog.set_level(logging.WARNING, logger="lti_tool.lti")
    assert_refused(lti.launch(**claims), status, code, "")
    message = refusal_log(caplog)
    assert f"code={code}" in message
    assert f"iss={iss}" in message
    assert f"client_id={CLIENT_ID}" in message


def _disable_registration(lti, key_server) -> dict[str, Any]:
    lti.start()
    db.session.execute(db.update(Platform).values(active=False))
    db.session.commit()
    return {}


def _register_sibling(lti, key_server) -> dict[str, Any]:
    register(TestPlatform(issuer=ISSUER, client_id="sibling", deployment_ids=["x"],
                          key_server=key_server))
    return {"aud": [CLIENT_ID, "sibling"]}


@pytest.mark.parametrize(
    ("setup", "code", "status"),
    [
        pytest.param(_disable_registration, "V7", 400, id="V7-registration-disabled"),
        pytest.param(_register_sibling, "V8", 401, id="V8-no-azp"),
        pytest.param(lambda lti, ks: {"azp": "someone-else"}, "V8", 401, id="V8-azp"),
        pytest.param(lambda lti, ks: {"aud": [CLIENT_ID, "unknown-party"], "azp": CLIENT_ID},
                     "V8", 401, id="V8-untrusted-audience"),
        pytest.param(lambda lti, ks: {"deployment_id": REMOVE}, "V13", 400,
                     id="V13-no-deployment-id"),
        pytest.param(lambda lti, ks: {"deployment_id": "d" * 256}, "V13", 400,
                     id="V13-overlong-deployment-id"),
        pytest.param(lambda lti, ks: {"exp": int(time.time()) - 3600}, "V9", 401, id="V9"),
        pytest.param(lambda lti, ks: {"nonce": "not-the-one"}, "V10", 401, id="V10"),
        pytest.param(lambda lti, ks: {"version": "1.1.0"}, "V11", 400, id="V11"),
        pytest.param(lambda lti, ks: {"message_type": "Other"}, "V12", 400, id="V12"),
        pytest.param(lambda lti, ks: {"roles": REMOVE}, "V15", 400, id="V15"),
        pytest.param(lambda lti, ks: {"sub": REMOVE}, "V16", 400, id="V16"),
    ],
)
def test_v20_every_refusal_after_the_registration_is_found_names_it_in_the_log(
    lti, key_server, caplog, setup, code, status
):
    caplog.set_level(logging.WARNING, logger="lti_tool.lti")
    claims = setup(lti, key_server)
    assert_refused(lti.launch(**claims), status, code, "")
    message = refusal_log(caplog)
    assert f"code={code}" in message
    assert f"iss={ISSUER}" in message
    assert f"client_id={CLIENT_ID}" in message

