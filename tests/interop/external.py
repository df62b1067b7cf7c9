"""The web layer of an LMS built on ``lti1p3platform``, an LTI 1.3 platform library we do not own.

``lti1p3platform`` ships the platform's protocol logic (registration, login
initiation URL, validation of the tool's OIDC authorisation request, signed
id_token, the auto-posting launch form) and leaves the web layer to the LMS:
its Django and FastAPI adapters are a few lines each. This module is that web
layer for the Flask test client, written the way those adapters are:

* :class:`RedirectingLogin` answers "open the tool" with the redirect to the
  tool's login initiation URL (the library's ``initiate_login``);
* :class:`AuthorisationRequest` is the library's ``Request`` built from the
  URL the tool redirected the browser to;
* :class:`PlatformLaunch` runs the library's ``lti_launch`` on it and renders
  the library's own ``launch.html`` form, which the browser then posts to the
  tool.

Nothing here builds or signs a token itself: every id_token comes out of the
library. Malformed launches are made with the library's own API (extra
claims override the standard ones, ``set_id_token_expiration``, the
registration's deployment id and private key); the only subclass hooks are
leaving claims out (:attr:`PlatformLaunch.omit`) and naming a key differently
(:attr:`PlatformRegistration.kid`).
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask.testing import FlaskClient
from jinja2 import Environment, PackageLoader
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request, TRequest

from tests.support.platform import TOOL_BASE, KeyServer

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#"

# The library's own launch form. Its framework package loads it through
# pkg_resources (deprecated, and absent from newer setuptools), so the
# template is loaded here with the same Jinja settings, without that import.
LAUNCH_FORM = Environment(  # noqa: S701 - the library's settings; values are base64url tokens
    loader=PackageLoader("lti1p3platform.framework", "templates")
).get_template("launch.html")


@cache
def private_key_pem(name: str) -> str:
    """One RSA key per name for the whole run, as PEM (the library's key format)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def public_key_pem(name: str) -> str:
    key = serialization.load_pem_private_key(private_key_pem(name).encode(), password=None)
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


class AuthorisationRefused(Exception):
    """The platform refuses the tool's OIDC authorisation request (a real LMS shows an error)."""


@dataclass(frozen=True)
class LmsUser:
    id: str
    name: str
    email: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class LmsCourse:
    id: str
    title: str
    label: str


TEACHER = LmsUser("u-4711", "Grace Hopper", "grace.hopper@school.example", (ROLE + "Instructor",))
STUDENT = LmsUser("u-0815", "Alan Turing", "alan.turing@school.example", (ROLE + "Learner",))
COURSE = LmsCourse("crs-chem-9", "Chemistry Year 9", "CHEM 9")


class PlatformRegistration(Registration):
    """The library's registration; ``kid`` names the signing key instead of its thumbprint.

    The library calls its key by its RFC 7638 thumbprint. ``kid`` lets a test
    sign with one key while claiming the published key's name, as a forger would.
    """

    kid: str | None = None

    def get_kid(self) -> str | None:
        return self.kid or super().get_kid()


class PlatformConf(LTI1P3PlatformConfAbstract):
    """The LMS's configuration of Staffroom: one registration (the library's storage hook)."""

    def init_platform_config(self, **kwargs: Any) -> None:
        self._registration = kwargs["registration"]

    def get_registration_by_params(self, **kwargs: Any) -> Registration:
        return self._registration


class RedirectingLogin(OIDCLoginAbstract):
    """The library's login initiation; the web layer answers with a redirect (a URL here)."""

    def set_lti_message_hint(self, **kwargs: Any) -> None:
        self._lti_message_hint = kwargs["hint"]

    def get_redirect(self, url: str) -> str:
        return url


class AuthorisationRequest(Request):
    """The library's request object for the tool's redirect to the authorisation endpoint."""

    def build_metadata(self, request: Any) -> TRequest:
        parts = urlsplit(str(request))
        return {
            "method": "GET",
            "form_data": {},
            "get_data": dict(parse_qsl(parts.query, keep_blank_values=True)),
            "headers": {},
            "content_type": None,
            "path": parts.path,
            "json": None,
        }


@dataclass
class PendingLaunch:
    """What the LMS remembers between "open the tool" and the tool's authorisation request."""

    user: LmsUser
    course: LmsCourse
    resource_link_id: str
    deep_linking: bool


class PlatformLaunch(LTIAdvantageMessageLaunchAbstract):
    """The library's launch, checked and rendered as an LMS web layer does."""

    def __init__(self, request: Request, conf: PlatformConf, pending: PendingLaunch,
                 hint: str) -> None:
        super().__init__(request, conf)
        self.pending = pending
        self.hint = hint
        self.omit: set[str] = set()

    def prepare_launch(self, preflight_response: dict[str, Any]) -> None:
        """The checks the library leaves to the LMS (OIDC Core §3.1.2.2, LTI Security §5.1.1.2)."""
        registration = self._platform_config.get_registration()
        expected = {
            "scope": "openid",
            "response_type": "id_token",
            "response_mode": "form_post",
            "prompt": "none",
            "login_hint": self.pending.user.id,
            "lti_message_hint": self.hint,
        }
        for name, value in expected.items():
            if preflight_response.get(name) != value:
                raise AuthorisationRefused(
                    f"{name}={preflight_response.get(name)!r}, expected {value!r}"
                )
        registered = {registration.get_launch_url(), registration.get_deeplink_launch_url()}
        if preflight_response["redirect_uri"] not in registered:
            raise AuthorisationRefused(
                f"redirect_uri {preflight_response['redirect_uri']!r} is not registered"
            )

    def get_launch_data(self) -> tuple[dict[str, Any], str]:
        message, state = super().get_launch_data()
        for name in self.omit:
            message.pop(name, None)
        return message, state

    def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> str:
        return LAUNCH_FORM.render(launch_data)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.method: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.action, self.method = values.get("action"), values.get("method")
        elif tag == "input" and values.get("name"):
            self.fields[values["name"]] = values.get("value", "")


@dataclass(frozen=True)
class LaunchForm:
    """The auto-submitting form of the library's launch page, as the browser would post it."""

    action: str
    method: str
    fields: dict[str, str]

    @classmethod
    def parse(cls, page: str) -> LaunchForm:
        parser = _FormParser()
        parser.feed(page)
        assert parser.action, page
        assert parser.method, page
        return cls(parser.action, parser.method.upper(), parser.fields)


@dataclass
class ExternalLms:
    """An LMS whose LTI side is ``lti1p3platform``, with its key set served on 127.0.0.1."""

    key_server: KeyServer
    client_id: str = "staffroom-interop"
    deployment_id: str = "dep-interop-1"
    key_name: str = "interop-platform"
    issuer: str = "https://lms.interop.test"
    name: str = "Interop LMS"
    pending: dict[str, PendingLaunch] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.auth_login_url = f"{self.issuer}/lti/authorize"
        self.auth_token_url = f"{self.issuer}/lti/token"
        self.registration = (
            PlatformRegistration()
            .set_iss(self.issuer)
            .set_client_id(self.client_id)
            .set_deployment_id(self.deployment_id)
            .set_oidc_login_url(f"{TOOL_BASE}/lti/login")
            .set_launch_url(f"{TOOL_BASE}/lti/launch")
            .set_deeplink_launch_url(f"{TOOL_BASE}/lti/launch")
            .set_tool_key_set_url(f"{TOOL_BASE}/lti/jwks.json")
            .set_platform_public_key(public_key_pem(self.key_name))
            .set_platform_private_key(private_key_pem(self.key_name))
        )
        self.conf = PlatformConf(registration=self.registration)
        self.jwks_path = f"/interop/{self.client_id}/jwks.json"
        self.key_server.key_sets[self.jwks_path] = dict(self.conf.get_jwks())

    @property
    def key_set_url(self) -> str:
        return self.key_server.url(self.jwks_path)

    @property
    def kid(self) -> str:
        return str(self.registration.get_kid())

    def open_tool(self, user: LmsUser, course: LmsCourse = COURSE, *,
                  resource_link_id: str = "rl-interop-1", deep_linking: bool = False) -> str:
        """A user clicks the tool's link: the URL the LMS redirects the browser to."""
        login = RedirectingLogin(None, self.conf)
        if deep_linking:
            login.set_deeplinking_launch_url()
        hint = secrets.token_urlsafe(16)
        login.set_lti_message_hint(hint=hint)
        self.pending[hint] = PendingLaunch(user, course, resource_link_id, deep_linking)
        return login.initiate_login(user.id)

    def authorise(self, auth_request_url: str,
                  customise: Callable[[PlatformLaunch], None] | None = None) -> LaunchForm:
        """The LMS's OIDC authorisation endpoint: the launch form for the tool's request."""
        parts = urlsplit(auth_request_url)
        if f"{parts.scheme}://{parts.netloc}{parts.path}" != self.auth_login_url:
            raise AuthorisationRefused(f"{auth_request_url} is not this LMS's endpoint")
        request = AuthorisationRequest(auth_request_url)
        hint = request.get_data.get("lti_message_hint", "")
        pending = self.pending.pop(hint, None)
        if pending is None:
            raise AuthorisationRefused(f"no pending launch for lti_message_hint {hint!r}")
        launch = PlatformLaunch(request, self.conf, pending, hint)
        user, course = pending.user, pending.course
        launch.set_user_data(user.id, list(user.roles), user.name, user.email)
        launch.set_launch_context_claim(
            course.id,
            ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
            course.title,
            course.label,
        )
        launch.set_resource_link_claim(pending.resource_link_id, title="Staffroom")
        launch.set_launch_presentation_claim("iframe", f"{self.issuer}/course/{course.id}")
        if pending.deep_linking:
            launch.set_dl(f"{self.issuer}/lti/deep-link-return", title="Add Staffroom")
        if customise is not None:
            customise(launch)
        return LaunchForm.parse(launch.lti_launch())

    def receive_deep_linking_response(self, token: str,
                                      tool_jwks: dict[str, Any]) -> list[dict[str, Any]]:
        """The LMS's deep link return URL: the library checks the tool's JWT, gives the items.

        The library fetches the tool's key set with ``requests``; the tool only
        runs inside the test client here, so its JWKS is handed over instead.
        """
        self.registration.set_tool_key_set(tool_jwks)  # type: ignore[arg-type]
        return self.conf.validate_deeplinking_resp({"JWT": token})


class TokenEndpoint:
    """The LMS's OAuth 2 token endpoint on 127.0.0.1, answered by ``get_access_token``.

    It checks the tool's ``client_assertion`` against the tool's key set and
    signs an access token with the platform's key (LTI Security Framework §4.1).
    """

    def __init__(self, lms: ExternalLms, tool_jwks: dict[str, Any]) -> None:
        lms.registration.set_tool_key_set(tool_jwks)  # type: ignore[arg-type]
        self.requests: list[dict[str, str]] = []
        self.refusals: list[str] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", "0"))
                form = dict(parse_qsl(self.rfile.read(length).decode()))
                endpoint.requests.append(form)
                try:
                    status, body = 200, dict(lms.conf.get_access_token(form))
                except Exception as exc:  # the library raises several unrelated types
                    endpoint.refusals.append(f"{exc.__class__.__name__}: {exc}")
                    status, body = 400, {"error": "invalid_client"}
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/token"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class Browser:
    """The user's browser: follows the LMS's and the tool's redirects through the test client."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, login_url: str):  # type: ignore[no-untyped-def]
        """Follow the LMS's redirect to the tool's login initiation (a GET, as the library does)."""
        assert login_url.startswith(f"{TOOL_BASE}/lti/login?"), login_url
        return self.client.get(login_url)

    def submit(self, form: LaunchForm):  # type: ignore[no-untyped-def]
        """Auto-submit the library's launch form."""
        assert form.method == "POST"
        return self.client.post(form.action, data=form.fields)

    def launch(self, lms: ExternalLms, user: LmsUser, *,
               customise: Callable[[PlatformLaunch], None] | None = None,
               **open_args: Any) -> tuple[Any, LaunchForm]:
        """The whole journey: LMS link -> tool login -> LMS authorisation -> tool launch."""
        resp = self.login(lms.open_tool(user, **open_args))
        assert resp.status_code == 302, resp.get_data(as_text=True)
        form = lms.authorise(resp.headers["Location"], customise)
        return self.submit(form), form
