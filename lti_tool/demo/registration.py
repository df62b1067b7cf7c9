"""The practice LMS's side of LTI Dynamic Registration, as Moodle and Canvas do it.

* ``/demo/register-tool``: the page "Register a tool by URL". The visitor pastes a
  registration URL (a one-time link from Staffroom's admin page); the practice LMS
  issues a one-time registration token, adds ``openid_configuration`` and
  ``registration_token`` to the URL and opens it in a frame on the page (as Canvas
  and Moodle do) or in a new window, then waits for the tool's
  ``org.imsglobal.lti.close`` message (``static/demo-registration.js``).
* ``/demo/openid-configuration``: the platform's OpenID configuration; its issuer is
  the practice LMS's issuer, a prefix of this address, as LTI-DR §3.5.1 wants.
* ``/demo/registrations``: the registration endpoint. It takes the token once, checks
  the tool's registration, and answers with a new client_id and deployment id.

The tools registered this way are listed on the page, each with a launch link
(``/demo/staffroom?tool=<client_id>``) once Staffroom's administrator has activated it.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import current_app, jsonify, request, url_for

from lti_tool.cache import get_cache
from lti_tool.demo import roster, tools
from lti_tool.demo.platform import PRODUCT_FAMILY, current_endpoints
from lti_tool.demo.views import _page, bp
from lti_tool.extensions import csrf
from lti_tool.lti.tool_configuration import NRPS_SCOPE, TOOL_CONFIGURATION
from lti_tool.version import __version__

# The cache key of each registration token the practice LMS issued (used once).
ISSUED = "demo-registration-token:"
TOKEN_SECONDS = 3600


def _configuration_url() -> str:
    return current_endpoints().issuer + "/openid-configuration"


def _registration_url() -> str:
    return current_endpoints().issuer + "/registrations"


@bp.get("/openid-configuration")
def openid_configuration():
    """The practice LMS's OpenID configuration (LTI-DR §3.4)."""
    endpoints = current_endpoints()
    response = jsonify({
        "issuer": endpoints.issuer,
        "authorization_endpoint": endpoints.auth_url,
        "token_endpoint": endpoints.token_url,
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "jwks_uri": endpoints.jwks_url,
        "registration_endpoint": _registration_url(),
        "scopes_supported": ["openid", NRPS_SCOPE],
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "claims_supported": ["iss", "sub", "name", "given_name", "family_name", "email"],
        "https://purl.imsglobal.org/spec/lti-platform-configuration": {
            "product_family_code": PRODUCT_FAMILY,
            "version": __version__,
            "messages_supported": [
                {"type": "LtiResourceLinkRequest"}, {"type": "LtiDeepLinkingRequest"},
            ],
        },
    })
    response.headers["Cache-Control"] = "no-store"
    return response


def _error(status: int, error: str, description: str):  # type: ignore[no-untyped-def]
    response = jsonify(error=error, error_description=description)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def _string(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://"))


@bp.post("/registrations")
@csrf.exempt
def registrations():
    """The registration endpoint: one registration per token (LTI-DR §3.5, §3.6)."""
    header = request.headers.get("Authorization", "")
    token = header[7:] if header.startswith("Bearer ") else ""
    if not token or get_cache().pop(ISSUED + token) is None:
        return _error(401, "invalid_token",
                      "the registration token is missing, unknown, expired or used already")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _error(400, "invalid_client_metadata", "the registration must be a JSON object")
    config = body.get(TOOL_CONFIGURATION)
    redirect_uris = body.get("redirect_uris")
    if not isinstance(config, dict) or not _string(config.get("target_link_uri")):
        return _error(400, "invalid_client_metadata",
                      f"the registration needs {TOOL_CONFIGURATION} with a target_link_uri")
    if not (isinstance(redirect_uris, list) and redirect_uris
            and all(_string(u) for u in redirect_uris)):
        return _error(400, "invalid_redirect_uri", "redirect_uris must list the tool's URIs")
    if not _string(body.get("initiate_login_uri")) or not _string(body.get("jwks_uri")):
        return _error(400, "invalid_client_metadata",
                      "the registration needs initiate_login_uri and jwks_uri")
    messages = config.get("messages") if isinstance(config.get("messages"), list) else []
    tool = tools.add({
        "name": str(body.get("client_name") or "A tool")[:100],
        "login_url": body["initiate_login_uri"],
        "target_link_uri": config["target_link_uri"],
        "redirect_uris": tuple(redirect_uris),
        "scope": str(body.get("scope") or ""),
        "registered_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "messages": tuple(str(m.get("type")) for m in messages if isinstance(m, dict)),
    })
    answer = {
        **body,
        "client_id": tool.client_id,
        TOOL_CONFIGURATION: {**config, "deployment_id": tool.deployment_id},
    }
    response = jsonify(answer)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/register-tool")
def register_tool():
    """Register a tool by URL: the URL, opened in a frame or a window with a fresh token."""
    url = (request.args.get("url") or "").strip()
    mode = "window" if request.args.get("open") == "window" else "frame"
    endpoints = current_endpoints()
    error = None
    start_url = None
    if url:
        try:
            parts = urlsplit(url)
        except ValueError:  # an unclosed [IPv6] host
            parts = urlsplit("")
        if parts.scheme not in ("http", "https") or not parts.netloc:
            error = "Enter the tool's registration URL, starting with https:// or http://."
        elif f"{parts.scheme}://{parts.netloc}" != endpoints.tool_origin:
            error = (f"The practice LMS only frames Staffroom ({endpoints.tool_origin}): paste "
                     "a registration link from Staffroom's admin page.")
        else:
            token = secrets.token_urlsafe(32)
            get_cache().set(ISSUED + token, 1, TOKEN_SECONDS)
            joiner = "&" if parts.query else "?"
            start_url = url + joiner + urlencode({
                "openid_configuration": _configuration_url(), "registration_token": token,
            })
    teacher = roster.members(roster.Role.TEACHER)[0]
    return _page(
        "demo/register_tool.html",
        status=400 if error else 200,
        url=url,
        mode=mode,
        error=error,
        start_url=start_url,
        tool_origin=endpoints.tool_origin,
        tools=tools.registered(),
        teacher=teacher,
        admin_url=endpoints.tool_base_url + "/admin/",
        done=request.args.get("done") == "1",
        nav="register",
        self_url=url_for("demo.register_tool"),
        debug=current_app.debug,
    )
