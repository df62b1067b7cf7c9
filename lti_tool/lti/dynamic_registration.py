"""LTI Dynamic Registration 1.0, the tool's side: read the platform's configuration, register.

The flow (IMS LTI Dynamic Registration 1.0, §3; checklist R1–R3):

1. The LMS opens the tool's registration URL with ``openid_configuration`` (a URL)
   and ``registration_token``. Who may start it at all is decided above this layer
   (a signed-in tool administrator or a one-time invitation: R1).
2. :func:`fetch_platform_configuration` reads the platform's OpenID configuration and
   checks it (R2): an HTTPS URL (plain http only for loopback, and only where the
   configuration allows it: development), an ``issuer`` that matches the URL (§3.5.1),
   the endpoints a registration needs.
3. :func:`register_tool` POSTs the tool's registration to ``registration_endpoint``
   with the token as Bearer (R3) and reads back the ``client_id`` and, where the
   platform made one, the ``deployment_id``.

pylti1p3's ``DynamicRegistration.register`` does steps 2 and 3 with ``assert``
statements, no timeout and no issuer check, so only its request body is used
(:mod:`lti_tool.lti.tool_configuration`). Every failure here is a
:class:`DynamicRegistrationError` (a 4xx page), never an exception of ``requests``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from flask import current_app

from lti_tool.lti import http
from lti_tool.lti.errors import LtiError
from lti_tool.lti.registrations import MAX_LENGTHS, is_loopback
from lti_tool.lti.tool_configuration import DEEP_LINKING, NRPS_SCOPE, TOOL_CONFIGURATION
from lti_tool.lti.urls import has_unsafe_characters, host_problem

PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
REQUIRED_ENDPOINTS = (
    "authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint"
)
# Canvas Cloud: one issuer for every school, while each school's LMS serves the
# configuration from its own instructure.com address.
CANVAS_CLOUD_ISSUERS = frozenset({
    "https://canvas.instructure.com",
    "https://canvas.beta.instructure.com",
    "https://canvas.test.instructure.com",
})
CANVAS_CLOUD_DOMAIN = ".instructure.com"
MAX_DOCUMENT_BYTES = 1_000_000
# How the common LMSs name themselves (product_family_code), for the registration's name.
PRODUCT_NAMES = {
    "canvas": "Canvas", "moodle": "Moodle", "desire2learn": "Brightspace",
    "blackboard": "Blackboard", "sakai": "Sakai", "schoology": "Schoology",
}

# HTTP statuses of the refusals: the request (400), who asks (403), a configuration
# or answer that cannot be used (422), and the platform failing to answer (424).
BAD_REQUEST, FORBIDDEN, UNUSABLE, PLATFORM_FAILED = 400, 403, 422, 424


class DynamicRegistrationError(LtiError):
    """A registration that cannot go on; ``message`` says why, for the LMS administrator."""


@dataclass(frozen=True)
class PlatformConfiguration:
    """A platform's checked OpenID configuration: what registering with it needs."""

    url: str
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    registration_endpoint: str
    product_family: str | None
    name: str
    scopes_supported: frozenset[str] | None
    messages_supported: frozenset[str] | None
    document: dict[str, Any]

    @property
    def offers_roster(self) -> bool:
        return self.scopes_supported is None or NRPS_SCOPE in self.scopes_supported

    @property
    def offers_deep_linking(self) -> bool:
        return self.messages_supported is None or DEEP_LINKING in self.messages_supported

    @property
    def is_canvas(self) -> bool:
        return self.product_family == "canvas"


@dataclass(frozen=True)
class RegisteredClient:
    """The platform's answer to a registration."""

    client_id: str
    deployment_id: str | None
    response: dict[str, Any]


# --------------------------------------------------------------------------- checks


def url_problem(what: str, url: str, *, allow_loopback: bool) -> str | None:
    """Why ``url`` cannot be used as a platform's address, or None."""
    try:
        parts = urlsplit(url)
    except ValueError:  # an unclosed [IPv6] host
        return f"{what} is not an absolute web address ('{url[:200]}')"
    if parts.scheme not in ("http", "https") or not parts.netloc or has_unsafe_characters(url):
        return f"{what} is not an absolute web address ('{url[:200]}')"
    problem = host_problem(parts)
    if problem:
        return f"{what} {problem}"
    if parts.scheme != "https":
        if not is_loopback(parts.hostname or ""):
            return f"{what} must start with https:// ('{url[:200]}')"
        if not allow_loopback:
            return (
                f"{what} uses plain http:// on this computer ('{url[:200]}'): that is only "
                "allowed in development"
            )
    if parts.fragment:
        return f"{what} must not contain a # fragment"
    return None


def issuer_matches(issuer: str, url: str) -> bool:
    """Whether the configuration URL belongs to the issuer (LTI-DR §3.5.1).

    The URL must start with the issuer: same scheme, host and port, and the issuer's
    path as a whole path prefix (Moodle's issuer is its address, path included). The
    one exception is Canvas Cloud, whose schools serve the configuration of the shared
    issuer ``https://canvas.instructure.com`` from their own ``*.instructure.com`` host.
    """
    want, got = urlsplit(issuer), urlsplit(url)
    if issuer.rstrip("/") in CANVAS_CLOUD_ISSUERS:
        host = (got.hostname or "").lower()
        if got.scheme == "https" and host.endswith(CANVAS_CLOUD_DOMAIN):
            return True
    if (want.scheme.lower(), want.netloc.lower()) != (got.scheme.lower(), got.netloc.lower()):
        return False
    prefix = want.path.rstrip("/")
    return got.path == prefix or got.path.startswith(prefix + "/")


def _strings(value: Any) -> frozenset[str] | None:
    if not isinstance(value, list):
        return None
    return frozenset(v for v in value if isinstance(v, str))


def _message_types(value: Any) -> frozenset[str] | None:
    """``messages_supported``: strings (older Moodle) or objects with a ``type``."""
    if not isinstance(value, list):
        return None
    types: set[str] = set()
    for item in value:
        name = item.get("type") if isinstance(item, dict) else item
        if isinstance(name, str):
            # Moodle 3.x wrote "LtiResourceLink" for "LtiResourceLinkRequest".
            types.add(name if name.endswith("Request") else name + "Request")
    return frozenset(types)


def _platform_name(document: dict[str, Any], issuer: str, family: str | None) -> str:
    lti = document.get(PLATFORM_CONFIGURATION)
    account = lti.get("https://canvas.instructure.com/lti/account_name") if isinstance(
        lti, dict) else None
    host = urlsplit(issuer).netloc
    if isinstance(account, str) and account.strip():
        name = f"{account.strip()} (Canvas)"
    elif family:
        name = f"{PRODUCT_NAMES.get(family, family)} at {host}"
    else:
        name = host
    return name[: MAX_LENGTHS["name"]]


def check_configuration(url: str, document: Any, *, allow_loopback: bool) -> PlatformConfiguration:
    """Check an OpenID configuration read from ``url`` (R2); raise with every problem."""
    if not isinstance(document, dict):
        raise DynamicRegistrationError(
            "R2", "the platform's OpenID configuration is not a JSON object", status=UNUSABLE
        )
    problems: list[str] = []
    issuer = document.get("issuer")
    if not isinstance(issuer, str) or not issuer:
        problems.append("it has no issuer")
    else:
        problem = url_problem("its issuer", issuer, allow_loopback=allow_loopback)
        if problem:
            problems.append(problem)
        elif len(issuer) > MAX_LENGTHS["issuer"]:
            problems.append(f"its issuer is longer than {MAX_LENGTHS['issuer']} characters")
        elif not issuer_matches(issuer, url):
            problems.append(
                f"its issuer '{issuer}' does not match the configuration's address '{url}' "
                "(the address must start with the issuer)"
            )
    endpoints: dict[str, str] = {}
    for name in REQUIRED_ENDPOINTS:
        value = document.get(name)
        if not isinstance(value, str) or not value:
            problems.append(f"it has no {name}")
            continue
        problem = url_problem(f"its {name}", value, allow_loopback=allow_loopback)
        if problem is None and len(value) > 1024:
            problem = f"its {name} is longer than 1024 characters"
        if problem:
            problems.append(problem)
        endpoints[name] = value
    if problems:
        raise DynamicRegistrationError(
            "R2",
            "the platform's OpenID configuration cannot be used: " + "; ".join(problems),
            status=UNUSABLE,
        )
    lti = document.get(PLATFORM_CONFIGURATION)
    lti = lti if isinstance(lti, dict) else {}
    family = lti.get("product_family_code")
    family = family[:64] if isinstance(family, str) and family else None
    return PlatformConfiguration(
        url=url,
        issuer=str(issuer),
        product_family=family,
        name=_platform_name(document, str(issuer), family),
        scopes_supported=_strings(document.get("scopes_supported")),
        messages_supported=_message_types(lti.get("messages_supported")),
        document=document,
        **endpoints,
    )


# --------------------------------------------------------------------------- calls


def _timeout() -> float:
    return float(current_app.config["HTTP_TIMEOUT"])


def _call(method: str, url: str, what: str, **kwargs: Any) -> tuple[int, bytes]:
    """One request to the platform: its status and body (at most 1 MB read).

    Its failures become clear refusals (424); redirects are not followed, so the
    answer comes from the address that was checked.
    """
    try:
        with http.session() as session:
            response = session.request(
                method, url, timeout=_timeout(), stream=True, allow_redirects=False, **kwargs
            )
            with response:
                body = response.raw.read(MAX_DOCUMENT_BYTES + 1, decode_content=True)
    except requests.Timeout as exc:
        raise DynamicRegistrationError(
            "R3" if method == "POST" else "R2",
            f"the platform did not answer in time ({_timeout():g} seconds) at {what}: "
            "try again from the LMS",
            status=PLATFORM_FAILED,
        ) from exc
    except requests.RequestException as exc:
        raise DynamicRegistrationError(
            "R3" if method == "POST" else "R2",
            f"the platform could not be reached at {what} ({exc.__class__.__name__})",
            status=PLATFORM_FAILED,
        ) from exc
    if len(body) > MAX_DOCUMENT_BYTES:
        raise DynamicRegistrationError(
            "R2", f"the platform's answer at {what} is larger than 1 MB", status=UNUSABLE
        )
    return response.status_code, body


def _json(body: bytes, what: str, code: str) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise DynamicRegistrationError(
            code, f"the platform's answer at {what} is not valid JSON", status=UNUSABLE
        ) from exc


def _platform_said(body: bytes) -> str:
    """A short quote of a platform's error answer, for the administrator."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        data = None
    if isinstance(data, dict):
        for key in ("error_description", "error", "message", "errors"):
            if data.get(key):
                return f": {str(data[key])[:300]}"
    return ""


def fetch_platform_configuration(
    url: str, registration_token: str | None, *, allow_loopback: bool
) -> PlatformConfiguration:
    """Read and check the platform's OpenID configuration (R2)."""
    if not url:
        raise DynamicRegistrationError(
            "R2",
            "the LMS did not send the openid_configuration parameter: start the "
            "registration from the LMS's \"register a tool by URL\" page",
            status=BAD_REQUEST,
        )
    problem = url_problem("the openid_configuration URL", url, allow_loopback=allow_loopback)
    if problem is None and len(url) > 2000:
        problem = "the openid_configuration URL is longer than 2000 characters"
    if problem:
        raise DynamicRegistrationError("R2", problem, status=BAD_REQUEST)
    headers = {"Accept": "application/json"}
    if registration_token:
        headers["Authorization"] = "Bearer " + registration_token
    status, body = _call("GET", url, "its openid_configuration URL", headers=headers)
    if status != 200:
        raise DynamicRegistrationError(
            "R2",
            f"the platform answered HTTP {status} for its OpenID configuration"
            + _platform_said(body),
            status=PLATFORM_FAILED,
        )
    document = _json(body, "its openid_configuration URL", "R2")
    return check_configuration(url, document, allow_loopback=allow_loopback)


def register_tool(
    config: PlatformConfiguration, registration_token: str | None, body: dict[str, Any]
) -> RegisteredClient:
    """POST the registration (R3) and read the client_id and deployment_id back."""
    headers = {"Accept": "application/json", "Content-Type": "application/json"}
    if registration_token:
        headers["Authorization"] = "Bearer " + registration_token
    what = "its registration endpoint"
    status, answer_body = _call(
        "POST", config.registration_endpoint, what, headers=headers, data=json.dumps(body)
    )
    if status not in (200, 201):
        raise DynamicRegistrationError(
            "R3",
            f"the platform refused the registration (HTTP {status})" + _platform_said(answer_body),
            status=PLATFORM_FAILED,
        )
    answer = _json(answer_body, what, "R3")
    client_id = answer.get("client_id") if isinstance(answer, dict) else None
    if isinstance(client_id, int) and not isinstance(client_id, bool):
        client_id = str(client_id)  # Canvas's ids are numbers in some answers
    if not isinstance(client_id, str) or not client_id.strip():
        raise DynamicRegistrationError(
            "R3", "the platform's answer to the registration has no client_id", status=UNUSABLE
        )
    if len(client_id) > MAX_LENGTHS["client_id"]:
        raise DynamicRegistrationError(
            "R3", "the platform's client_id is longer than 255 characters", status=UNUSABLE
        )
    tool = answer.get(TOOL_CONFIGURATION)
    deployment = tool.get("deployment_id") if isinstance(tool, dict) else None
    if isinstance(deployment, int) and not isinstance(deployment, bool):
        deployment = str(deployment)
    if not isinstance(deployment, str) or not deployment.strip():
        deployment = None
    elif len(deployment) > MAX_LENGTHS["deployment_id"]:
        raise DynamicRegistrationError(
            "R3", "the platform's deployment_id is longer than 255 characters", status=UNUSABLE
        )
    return RegisteredClient(
        client_id=client_id.strip(),
        deployment_id=deployment.strip() if deployment else None,
        response=answer,
    )
