"""The app with the practice LMS: DEMO_MODE on, the tool on 127.0.0.1, the LMS on localhost.

It overrides the suite's ``app`` fixture, so ``client`` and ``runner`` use it too;
the database backends (SQLite, and PostgreSQL + Redis when enabled) are the suite's.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lti_tool import create_app
from lti_tool.extensions import db
from tests.conftest import _config, _empty_tables, auth_request_url

TOOL = "http://127.0.0.1:5000"
LMS = "http://localhost:5000"


@pytest.fixture(scope="session")
def demo_instance(tmp_path_factory) -> Path:
    """One instance folder for the run: the practice LMS's key is generated once."""
    return tmp_path_factory.mktemp("demo-instance")


def demo_config(backend: dict[str, Any], instance: Path) -> dict[str, Any]:
    return {
        **_config(backend["url"], backend["redis_url"], backend["instance"]),
        "INSTANCE_PATH": str(instance),
        "DEMO_MODE": True,
        "PUBLIC_BASE_URL": TOOL,
        "SERVER_NAME": None,
        "PREFERRED_URL_SCHEME": "http",
    }


@pytest.fixture
def app(backend, demo_instance) -> Iterator[Flask]:
    app = create_app(demo_config(backend, demo_instance))
    with app.app_context():
        _empty_tables()
        app.extensions["staffroom_cache"].clear()
        yield app
        db.session.remove()
        _empty_tables()
        db.engine.dispose()


class Browser:
    """What a browser does with the practice LMS's pages, through the Flask test client."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def frame_src(self, user_id: str) -> str:
        """Open the Staffroom item of the course as ``user_id``; the iframe's src."""
        resp = self.client.get(f"{LMS}/demo/staffroom", query_string={"as": user_id})
        assert resp.status_code == 200, resp.get_data(as_text=True)
        return iframe_src(resp.get_data(as_text=True))

    def auth_request(self, user_id: str) -> str:
        """The tool's redirect to the practice LMS's auth endpoint (a full URL)."""
        resp = self.client.get(self.frame_src(user_id))
        # The practice LMS offers its storage: the tool's page stores the state, then goes on.
        return auth_request_url(resp)

    def launch(self, user_id: str):
        """The whole launch: page -> iframe -> /lti/login -> /demo/auth -> form -> /lti/launch."""
        auth = self.client.get(self.auth_request(user_id))
        assert auth.status_code == 200, auth.get_data(as_text=True)
        action, fields = post_form(auth.get_data(as_text=True))
        return self.client.post(action, data=fields)


def iframe_src(page: str) -> str:
    match = re.search(r'<iframe[^>]*\ssrc="([^"]+)"', page)
    assert match, page
    return html.unescape(match.group(1))


def post_form(page: str) -> tuple[str, dict[str, str]]:
    """The auto-posted form of the auth response: its action and hidden fields."""
    form = re.search(r'<form method="post" action="([^"]+)" data-auto-submit>(.*?)</form>',
                     page, re.S)
    assert form, page
    fields = {
        html.unescape(name): html.unescape(value)
        for name, value in re.findall(
            r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(2)
        )
    }
    return html.unescape(form.group(1)), fields


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


@pytest.fixture
def browser(client) -> Browser:
    return Browser(client)
