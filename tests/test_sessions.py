"""The session cookie: Flask's own signed cookie, with the attributes an LMS frame needs.

Each test names a rule about our cookie that a change of configuration or of the
session interface could break: its attributes, its signature (tampering, key
rotation) and what it carries (flashed messages, text from the platform).
"""

from __future__ import annotations

import json
import time
from email.utils import parsedate_to_datetime

import pytest
from flask import flash, get_flashed_messages, redirect, session
from itsdangerous import URLSafeTimedSerializer

from lti_tool.extensions import csrf

COOKIE = "staffroom_session"
DOMAIN = "tool.example.org"


@pytest.fixture
def session_app(app):
    """The app with routes of its own: write the posted values, read them, flash and show."""

    @app.post("/_test/session")
    @csrf.exempt
    def write_session():  # type: ignore[no-untyped-def]
        from flask import request

        # Parsed here, not by the app's JSON provider (which drops lone surrogates from
        # request bodies): session values come from the platform's signed token too.
        session.update(json.loads(request.get_data(as_text=True)))
        return {"ok": True}

    @app.get("/_test/session")
    def read_session():  # type: ignore[no-untyped-def]
        return {"session": dict(session)}

    @app.post("/_test/flash")
    @csrf.exempt
    def flash_and_redirect():  # type: ignore[no-untyped-def]
        flash("Saved.", "success")
        return redirect("/_test/flashes", code=303)

    @app.get("/_test/flashes")
    def show_flashes():  # type: ignore[no-untyped-def]
        return {"flashes": [list(m) for m in get_flashed_messages(with_categories=True)]}

    return app


def _signed_as_flask_signs(key: str) -> URLSafeTimedSerializer:
    """Flask's cookie signature (salt, key derivation, digest) with one key, compact JSON."""
    return URLSafeTimedSerializer(
        key, salt="cookie-session",
        signer_kwargs={"key_derivation": "hmac", "digest_method": "sha1"},
    )


def _cookie(client) -> str:  # type: ignore[no-untyped-def]
    cookie = client.get_cookie(COOKIE, domain=DOMAIN)
    assert cookie is not None, "the response set no session cookie"
    return cookie.value


def _attributes(set_cookie: str) -> dict[str, str]:
    _, *parts = (p.strip() for p in set_cookie.split(";"))
    return {p.partition("=")[0].lower(): p.partition("=")[2] for p in parts}


def test_the_cookie_a_launch_sets_is_kept_in_a_cross_site_lms_frame(lti):
    """Secure; HttpOnly; SameSite=None; Partitioned (CHIPS), for the whole tool, 8 hours."""
    resp = lti.launch()
    assert resp.status_code == 200
    (cookie,) = [c for c in resp.headers.getlist("Set-Cookie") if c.startswith(COOKIE + "=")]
    attrs = _attributes(cookie)
    assert attrs.keys() == {"expires", "secure", "httponly", "samesite", "partitioned", "path"}
    assert attrs["samesite"] == "None"
    assert attrs["path"] == "/"
    lifetime = parsedate_to_datetime(attrs["expires"]).timestamp() - time.time()
    assert 8 * 3600 - 60 < lifetime <= 8 * 3600


def test_a_tampered_cookie_opens_an_empty_session(session_app):
    client = session_app.test_client()
    client.post("/_test/session", json={"person": 7})
    assert client.get("/_test/session").get_json()["session"] == {"person": 7}
    payload, signature = _cookie(client).rsplit(".", 1)
    forged = payload + "." + ("A" if signature[0] != "A" else "B") + signature[1:]
    client.set_cookie(COOKIE, forged, domain=DOMAIN)
    assert client.get("/_test/session").get_json()["session"] == {}


def test_a_new_secret_key_signs_at_once_and_the_old_one_only_opens_as_a_fallback(session_app):
    original = session_app.secret_key
    client = session_app.test_client()
    client.post("/_test/session", json={"person": 7})
    signed_with_old = _cookie(client)

    session_app.secret_key = "a-new-secret-key-for-this-test-" + "x" * 20
    fresh = session_app.test_client()
    fresh.set_cookie(COOKIE, signed_with_old, domain=DOMAIN)
    assert fresh.get("/_test/session").get_json()["session"] == {}

    session_app.config["SECRET_KEY_FALLBACKS"] = [original]
    rotated = session_app.test_client()
    rotated.set_cookie(COOKIE, signed_with_old, domain=DOMAIN)
    assert rotated.get("/_test/session").get_json()["session"] == {"person": 7}
    rotated.post("/_test/session", json={"person": 8})
    new_key_only = _signed_as_flask_signs(session_app.secret_key)
    assert new_key_only.loads(_cookie(rotated)) == {"person": 8}


def test_a_flashed_message_survives_the_redirect_and_is_shown_once(session_app):
    client = session_app.test_client()
    resp = client.post("/_test/flash", follow_redirects=True)
    assert resp.get_json() == {"flashes": [["success", "Saved."]]}
    assert client.get("/_test/flashes").get_json() == {"flashes": []}


def test_text_from_the_platform_comes_back_as_it_was_written(session_app):
    """Deep linking ``data`` is opaque text: it may hold a lone surrogate, which UTF-8
    cannot encode, and any other character."""
    client = session_app.test_client()
    values = {"deep_link": {"data": "abc\ud800def", "accept_types": ["ltiResourceLink"]},
              "name": "Zoë", "courses": {"12": {"p": 7, "k": "ab"}}}
    assert client.post("/_test/session", json=values).status_code == 200
    assert client.get("/_test/session").get_json()["session"] == values


def test_a_cookie_written_before_flasks_own_interface_still_opens(session_app):
    """Until this change the cookie's payload was plain JSON (a flashed message a list,
    not a tagged tuple), signed as Flask signs: sessions open at the upgrade keep working."""
    old = _signed_as_flask_signs(session_app.secret_key)
    client = session_app.test_client()
    client.set_cookie(
        COOKIE, old.dumps({"person": 3, "_flashes": [["success", "Saved before."]]}),
        domain=DOMAIN,
    )
    assert client.get("/_test/flashes").get_json() == {"flashes": [["success", "Saved before."]]}
    assert client.get("/_test/session").get_json()["session"] == {"person": 3}
