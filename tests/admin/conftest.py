"""Admin page fixtures: an administrator account and a browser that carries CSRF tokens.

CSRF protection stays on in these tests (as in production), so every POST
first reads the ``csrf_token`` from a page's form, as a browser would.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lti_tool.accounts import auth
from lti_tool.accounts.models import AdminUser
from lti_tool.extensions import limiter
from tests.support.platform import KeyServer, TestPlatform

PASSWORD = "correct horse battery staple"
CSRF_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def page_text(resp) -> str:  # type: ignore[no-untyped-def]
    """The response body with HTML entities decoded, for matching messages."""
    return html.unescape(resp.get_data(as_text=True))


class AdminBrowser:
    """The test client as an administrator's browser.

    Each request runs in its own application context, as in production: the
    ``app`` fixture keeps one context open for the whole test, and Flask-WTF
    caches the CSRF token on ``g``, which would otherwise leak between requests
    and between browsers.
    """

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def _request(self, method: str, url: str, **kwargs: Any):  # type: ignore[no-untyped-def]
        with self.client.application.app_context():
            return self.client.open(url, method=method, **kwargs)

    def token(self, url: str = "/admin/login") -> str:
        resp = self._request("GET", url)
        match = CSRF_TOKEN.search(resp.get_data(as_text=True))
        assert match, f"no csrf_token in the form of {url} ({resp.status_code})"
        return match.group(1)

    def get(self, url: str, **kwargs: Any):  # type: ignore[no-untyped-def]
        return self._request("GET", url, **kwargs)

    def raw_post(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any):  # type: ignore[no-untyped-def]
        """POST exactly ``data``, without adding a CSRF token."""
        return self._request("POST", url, data=data or {}, **kwargs)

    def post(self, url: str, data: dict[str, Any] | None = None, *, form_url: str | None = None,
             **kwargs: Any):  # type: ignore[no-untyped-def]
        """POST as the form on ``form_url`` (default: the admin home page) would."""
        token = self.token(form_url or "/admin/")
        return self._request("POST", url, data={**(data or {}), "csrf_token": token}, **kwargs)

    def login(self, username: str = "admin", password: str = PASSWORD, **kwargs: Any):  # type: ignore[no-untyped-def]
        return self.post(
            kwargs.pop("url", "/admin/login"),
            {"username": username, "password": password},
            form_url="/admin/login",
            **kwargs,
        )


@pytest.fixture(autouse=True)
def _fresh_rate_limits(app: Flask) -> Iterator[None]:
    """Login attempts of one test must not count against the next (Redis keeps them)."""
    limiter.reset()
    yield
    limiter.reset()


@pytest.fixture
def admin_user(app: Flask) -> AdminUser:
    return auth.create_admin("admin", PASSWORD)


@pytest.fixture
def browser(client: FlaskClient) -> AdminBrowser:
    return AdminBrowser(client)


@pytest.fixture
def admin(browser: AdminBrowser, admin_user: AdminUser) -> AdminBrowser:
    """A browser with the administrator logged in."""
    resp = browser.login()
    assert resp.status_code == 303, resp.get_data(as_text=True)
    return browser


def new_test_platform(key_server: KeyServer, **kwargs: Any) -> TestPlatform:
    """A platform whose key set is really served on 127.0.0.1 (not registered yet)."""
    values: dict[str, Any] = {
        "issuer": "https://moodle.school.test",
        "client_id": "Ab12Cd34Ef56Gh7",
        "deployment_ids": ["7"],
        "auth_login_url": "https://moodle.school.test/mod/lti/auth.php",
        "auth_token_url": "https://moodle.school.test/mod/lti/token.php",
        "name": "School Moodle",
    }
    values.update(kwargs)
    return TestPlatform(key_server=key_server, **values)


def platform_form(tp: TestPlatform, **overrides: str) -> dict[str, str]:
    """The add-platform form filled in for ``tp``."""
    data = {
        "name": tp.name,
        "issuer": tp.issuer,
        "client_id": tp.client_id,
        "auth_login_url": tp.auth_login_url,
        "auth_token_url": tp.auth_token_url,
        "auth_audience": "",
        "key_set_url": tp.key_set_url,
        "key_set": "",
        "deployment_ids": "\n".join(tp.deployment_ids),
    }
    data.update(overrides)
    return data
