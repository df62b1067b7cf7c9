"""URLs built once per worker (lti_tool/application.py): the memo never changes a URL."""

from __future__ import annotations

from flask import Flask, g

from lti_tool import application
from lti_tool.application import StaffroomFlask
from lti_tool.courses.views import add_course


def _plain(app, endpoint: str, **values):  # type: ignore[no-untyped-def]
    """What Flask itself builds, without the memo."""
    return Flask.url_for(app, endpoint, **values)


def test_the_app_remembers_urls(app):
    assert isinstance(app, StaffroomFlask)
    with app.test_request_context("/"):
        first = app.url_for("main.healthz")
        assert app._url_memo, "nothing was remembered"
        assert app.url_for("main.healthz") == first == _plain(app, "main.healthz")


def test_course_urls_follow_the_course_of_the_request(app):
    """``url_defaults`` fills course_id from g: the memo keys on it."""
    with app.test_request_context("/"):
        g.course_id = 1
        one = app.url_for("courses.dashboard")
    with app.test_request_context("/"):
        g.course_id = 2
        two = app.url_for("courses.dashboard")
        assert two == _plain(app, "courses.dashboard")
    assert (one, two) == ("/courses/1/", "/courses/2/")


def test_urls_follow_the_script_root_and_the_host(app):
    app.config["SERVER_NAME"] = None  # the request's own host, as behind a proxy
    with app.test_request_context("/", base_url="https://tool.example.org/staffroom/"):
        mounted = app.url_for("main.healthz")
        external = app.url_for("main.healthz", _external=True)
    with app.test_request_context("/", base_url="https://other.example.org/"):
        root = app.url_for("main.healthz")
        other_external = app.url_for("main.healthz", _external=True)
    assert mounted == "/staffroom/healthz"
    assert root == "/healthz"
    assert external == "https://tool.example.org/staffroom/healthz"
    assert other_external == "https://other.example.org/healthz"


def test_query_values_and_anchors_are_part_of_the_url(app):
    with app.test_request_context("/"):
        assert app.url_for("main.healthz", q="a b") == "/healthz?q=a+b"
        assert app.url_for("main.healthz", q="c") == "/healthz?q=c"
        assert app.url_for("main.healthz", _anchor="top") == "/healthz#top"
        # Equal as keys, different as URLs.
        assert app.url_for("main.healthz", n=1) == "/healthz?n=1"
        assert app.url_for("main.healthz", n=True) == "/healthz?n=True"
        assert app.url_for("main.healthz", n=1.0) == "/healthz?n=1.0"
        # A list cannot be a key: built by Flask every time, still right.
        assert app.url_for("main.healthz", q=["x", "y"]) == "/healthz?q=x&q=y"


def test_relative_endpoints_resolve_against_the_current_blueprint(app):
    with app.test_request_context("/healthz"):
        assert app.url_for(".healthz") == "/healthz"
    with app.test_request_context("/lti/jwks.json"):
        assert app.url_for(".jwks") == "/lti/jwks.json"


def test_the_memo_is_bounded(app, monkeypatch):
    monkeypatch.setattr(application, "URL_MEMO_SIZE", 5)
    with app.test_request_context("/"):
        for n in range(20):
            assert app.url_for("main.healthz", n=n) == f"/healthz?n={n}"
            assert len(app._url_memo) <= 5


def test_outside_a_request_nothing_is_remembered(app):
    app._url_memo.clear()
    assert app.url_for("main.healthz") == "https://tool.example.org/healthz"
    assert not app._url_memo


def test_url_defaults_read_only_what_the_memo_keys_on(app):
    """If this fails, a new ``url_defaults`` function exists: add what it reads to
    ``_memo_key`` (lti_tool/application.py), or URLs would be remembered wrongly."""
    assert dict(app.url_default_functions) == {"courses": [add_course]}
    assert application.URL_DEFAULTS_READ_FROM_G == ("course_id",)


def test_only_short_ints_and_strings_are_remembered(app):
    """A long value (a ``next`` address with its query, say) is built every time, so that
    requests cannot fill the memo."""
    with app.test_request_context("/"):
        app._url_memo.clear()
        long_next = "/admin/?" + "x" * 500
        assert app.url_for("main.healthz", next=long_next) == _plain(
            app, "main.healthz", next=long_next
        )
        app.url_for("main.healthz", n=1.5)
        app.url_for("main.healthz", n=True)
        assert not app._url_memo
        app.url_for("main.healthz", n=7, q="short")
        assert len(app._url_memo) == 1


def test_query_arguments_keep_their_order(app):
    with app.test_request_context("/"):
        assert app.url_for("main.healthz", a=1, b=2) == "/healthz?a=1&b=2"
        assert app.url_for("main.healthz", b=2, a=1) == "/healthz?b=2&a=1"
