"""The session cookie (lti_tool/sessions.py): Flask's signature, a plain JSON payload."""

from __future__ import annotations

from datetime import datetime

import pytest
from flask import session
from flask.sessions import SecureCookieSessionInterface

from lti_tool.extensions import csrf
from lti_tool.sessions import CookieSessionInterface

COOKIE = "staffroom_session"


@pytest.fixture
def session_app(app):
    """The app with two routes of its own: one writes the posted values, one reads them."""

    @app.post("/_test/session")
    @csrf.exempt
    def write_session():  # type: ignore[no-untyped-def]
        from flask import request

        session.update(request.get_json())
        return {"ok": True}

    @app.get("/_test/session")
    def read_session():  # type: ignore[no-untyped-def]
        return {"session": dict(session)}

    return app


def _cookie(client) -> str:
    cookie = client.get_cookie(COOKIE, domain="tool.example.org")
    assert cookie is not None, "the response set no session cookie"
    return cookie.value


def test_the_app_uses_the_plain_json_session(app):
    assert isinstance(app.session_interface, CookieSessionInterface)


def test_values_come_back_as_they_were_written(session_app):
    client = session_app.test_client()
    values = {"person": 7, "courses": {"12": {"p": 7, "k": "ab", "at": 1}}, "name": "Zoë",
              "flags": [True, None, 1.5]}
    assert client.post("/_test/session", json=values).status_code == 200
    assert client.get("/_test/session").get_json()["session"] == values


def test_the_cookie_payload_is_compact_json(session_app):
    client = session_app.test_client()
    client.post("/_test/session", json={"person": 7})
    payload = session_app.session_interface.get_signing_serializer(session_app).loads(
        _cookie(client)
    )
    assert payload == {"person": 7}


def test_a_cookie_signed_by_flasks_default_interface_still_opens(session_app):
    """Sessions started before this interface (plain values) survive the upgrade."""
    old = SecureCookieSessionInterface().get_signing_serializer(session_app)
    client = session_app.test_client()
    client.set_cookie(COOKIE, old.dumps({"person": 3}), domain="tool.example.org")
    assert client.get("/_test/session").get_json()["session"] == {"person": 3}


def test_a_tampered_cookie_opens_an_empty_session(session_app):
    client = session_app.test_client()
    client.post("/_test/session", json={"person": 7})
    value = _cookie(client)
    payload, signature = value.rsplit(".", 1)
    forged = payload + "." + ("A" if signature[0] != "A" else "B") + signature[1:]
    client.set_cookie(COOKIE, forged, domain="tool.example.org")
    assert client.get("/_test/session").get_json()["session"] == {}


def test_a_new_secret_key_is_used_at_once_and_the_old_one_only_as_a_fallback(session_app):
    original = session_app.secret_key
    client = session_app.test_client()
    client.post("/_test/session", json={"person": 7})
    signed_with_old = _cookie(client)

    session_app.secret_key = "a-new-secret-key-for-this-test-" + "x" * 20
    fresh = session_app.test_client()
    fresh.set_cookie(COOKIE, signed_with_old, domain="tool.example.org")
    assert fresh.get("/_test/session").get_json()["session"] == {}
    fresh.post("/_test/session", json={"person": 8})
    new_only = session_app.session_interface.get_signing_serializer(session_app)
    assert new_only.loads(_cookie(fresh)) == {"person": 8}

    session_app.config["SECRET_KEY_FALLBACKS"] = [original]
    rotated = session_app.test_client()
    rotated.set_cookie(COOKIE, signed_with_old, domain="tool.example.org")
    assert rotated.get("/_test/session").get_json()["session"] == {"person": 7}


def test_a_value_that_is_not_json_is_refused_not_changed(app):
    @app.get("/_test/session-date")
    def put_a_date():  # type: ignore[no-untyped-def]
        session["when"] = datetime(2026, 11, 23)
        return "ok"

    with pytest.raises(TypeError):
        app.test_client().get("/_test/session-date")


def test_a_flashed_message_from_a_cookie_of_flasks_default_interface_is_shown(app):
    """Flask's own format tags a flashed message as a tuple: it is read back as one."""
    old = SecureCookieSessionInterface().get_signing_serializer(app)
    client = app.test_client()
    client.set_cookie(
        COOKIE, old.dumps({"_flashes": [("success", "Saved before the upgrade.")]}),
        domain="tool.example.org",
    )
    response = client.get("/admin/login")
    assert response.status_code == 200
    assert "Saved before the upgrade." in response.get_data(as_text=True)


def test_text_that_utf8_cannot_encode_is_kept(session_app):
    """A platform may send a lone surrogate (deep linking ``data`` is opaque text)."""
    client = session_app.test_client()
    values = {"deep_link": {"data": "abc\ud800def"}, "name": "Zoë"}
    assert client.post("/_test/session", json=values).status_code == 200
    assert client.get("/_test/session").get_json()["session"] == values
