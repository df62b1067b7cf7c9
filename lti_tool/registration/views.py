"""``/lti/register`` (LTI Dynamic Registration) and ``/lti/canvas.json``.

The registration, as the LMS administrator sees it inside the LMS's frame or window:

1. GET ``/lti/register?openid_configuration=…&registration_token=…`` (the LMS adds
   both to the URL it was given). Who asks is checked first (R1): a signed-in tool
   administrator, or a one-time invitation link (``&invitation=…``). Then the
   platform's configuration is read and checked (R2), and a page shows what will be
   registered, with one button.
2. POST: the same checks again, the registration token is spent (it is sent once,
   whatever happens next), the invitation claimed, the registration POSTed (R3) and
   stored, pending activation unless the issuer is trusted. The last page posts
   ``org.imsglobal.lti.close`` to the LMS (``window.opener || window.parent``).

The form carries a signed ticket (what the platform sent, and who was allowed to
start), not a session: it works in an LMS frame whatever the browser does with the
tool's cookies there, and cannot be forged. Every refusal is a page with a 4xx
status that says why; nothing is stored unless the whole registration succeeded.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, render_template, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from lti_tool.accounts import auth
from lti_tool.cache import get_cache
from lti_tool.extensions import csrf
from lti_tool.lti import keys, registrations
from lti_tool.lti.dynamic_registration import (
    DynamicRegistrationError,
    PlatformConfiguration,
    fetch_platform_configuration,
    register_tool,
)
from lti_tool.lti.launch import external_url
from lti_tool.lti.registrations import (
    DynamicRegistrationData,
    PlatformData,
    RegistrationError,
)
from lti_tool.lti.tool_configuration import (
    ToolUrls,
    canvas_developer_key,
    registration_request,
)
from lti_tool.lti.urls import web_origin
from lti_tool.registration import invitations
from lti_tool.registration.invitations import InvitationError
from lti_tool.registration.models import RegistrationInvitation

bp = Blueprint("registration", __name__, url_prefix="/lti")
log = logging.getLogger("lti_tool.registration")

TICKET_SALT = "staffroom.dynamic-registration"
# The administrator has this long to press "Register" after the page opened.
TICKET_MAX_AGE = 1800
# A registration token, once sent, is remembered this long (tokens live an hour at most).
SPENT_TOKEN_SECONDS = 24 * 3600


def tool_urls() -> ToolUrls:
    """This tool's addresses, as every LMS must use them."""
    return ToolUrls(
        login=external_url("lti.login"),
        launch=external_url("lti.launch"),
        jwks=external_url("lti.jwks"),
        logo=external_url("static", filename="favicon.svg"),
    )


# --------------------------------------------------------------------------- refusals


class Refusal(Exception):
    """A registration that cannot go on: the page's status and the reason."""

    def __init__(self, message: str, status: int, code: str = "R1") -> None:
        super().__init__(message)
        self.message, self.status, self.code = message, status, code


@bp.errorhandler(Refusal)
def refused(exc: Refusal):  # type: ignore[no-untyped-def]
    log.warning("dynamic registration refused code=%s status=%s reason=%r",
                exc.code, exc.status, exc.message)
    return render_template("registration/refused.html", error=exc), exc.status


def _refusal(exc: DynamicRegistrationError | InvitationError | RegistrationError) -> Refusal:
    if isinstance(exc, DynamicRegistrationError):
        return Refusal(exc.message, exc.status, exc.code)
    if isinstance(exc, InvitationError):
        return Refusal(exc.message, exc.status, "R1")
    details = "; ".join(m for messages in exc.errors.values() for m in messages)
    return Refusal(f"the registration the LMS made cannot be stored: {details}", 409, "R3")


@bp.after_request
def lms_may_frame(response: Response) -> Response:
    """The LMS that opened the registration may frame it (it is not registered yet).

    Only the origin of a well-formed ``openid_configuration`` URL is named; any other
    page of this blueprint keeps the tool's own policy.
    """
    if request.endpoint == "registration.register" and response.mimetype == "text/html":
        try:
            origin = web_origin(g.get("lms_url") or request.args.get("openid_configuration"))
        except ValueError:  # not a URL at all (an unclosed [IPv6] host): no origin
            origin = None
        if origin and "[" not in origin:
            response.headers["Content-Security-Policy"] = "; ".join([
                "default-src 'self'", "script-src 'self'", "style-src 'self'",
                "img-src 'self' data:", "object-src 'none'", "base-uri 'none'",
                "form-action 'self'", f"frame-ancestors 'self' {origin}",
            ])
    return response


# --------------------------------------------------------------------------- who may register


def _who(invitation_token: str | None) -> tuple[str, RegistrationInvitation | None, int | None]:
    """Who starts this registration (R1): an invitation, else the signed-in administrator."""
    if invitation_token:
        try:
            invitation = invitations.check(invitation_token)
        except InvitationError as exc:
            raise _refusal(exc) from exc
        return f"invitation {invitation.id} (from {invitation.created_by})", invitation, None
    admin = auth.current_admin()
    if admin is None:
        raise Refusal(
            "only a Staffroom administrator may register Staffroom in an LMS: sign in to "
            "Staffroom's admin page in this browser first, or ask a Staffroom administrator "
            "for a one-time registration link and paste that link into the LMS",
            403,
        )
    return f"administrator {admin.username}", None, admin.id


def _allow_loopback() -> bool:
    return bool(current_app.config.get("DYNAMIC_REGISTRATION_ALLOW_LOOPBACK_HTTP"))


def _trusted(issuer: str) -> bool:
    trusted = current_app.config.get("DYNAMIC_REGISTRATION_TRUSTED_ISSUERS") or []
    return issuer.rstrip("/") in {str(t).rstrip("/") for t in trusted}


def _configuration(url: str, token: str | None) -> PlatformConfiguration:
    g.lms_url = url
    try:
        return fetch_platform_configuration(url, token, allow_loopback=_allow_loopback())
    except DynamicRegistrationError as exc:
        raise _refusal(exc) from exc


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TICKET_SALT)


# --------------------------------------------------------------------------- the registration


@bp.get("/register")
def register():
    """Step 1: who asks, the platform's configuration, and what will be registered."""
    args = request.args
    started_by, invitation, admin_id = _who(args.get("invitation"))
    url = args.get("openid_configuration", "").strip()
    token = args.get("registration_token") or None
    config = _configuration(url, token)
    ticket = _serializer().dumps({
        "c": url, "t": token, "i": invitation.id if invitation else None, "a": admin_id,
        "k": args.get("invitation") or None,
    })
    return render_template(
        "registration/confirm.html",
        config=config,
        tool=tool_urls(),
        started_by=started_by,
        trusted=_trusted(config.issuer),
        ticket=ticket,
    )


@bp.post("/register")
@csrf.exempt  # the signed ticket is the form's proof of origin (see the module docstring)
def register_post():
    """Step 2: register with the platform and store the registration."""
    try:
        data: dict[str, Any] = _serializer().loads(
            request.form.get("ticket", ""), max_age=TICKET_MAX_AGE
        )
    except SignatureExpired as exc:
        raise Refusal(
            "this registration page was left open too long: start the registration again "
            "from the LMS", 410,
        ) from exc
    except BadSignature as exc:
        raise Refusal(
            "this registration form was not issued by Staffroom: start the registration "
            "again from the LMS", 400,
        ) from exc
    g.lms_url = data.get("c")
    started_by, invitation, admin_id = _who(data.get("k"))
    if admin_id is not None and admin_id != data.get("a"):
        raise Refusal("the registration was started by another administrator", 403)
    url, token = str(data.get("c") or ""), data.get("t")
    config = _configuration(url, token)
    _spend(token)
    if invitation is not None:
        try:
            invitations.claim(invitation)
        except InvitationError as exc:
            raise _refusal(exc) from exc
    try:
        platform = _register(config, token, started_by, invitation)
    except (DynamicRegistrationError, RegistrationError) as exc:
        if invitation is not None:
            invitations.release(invitation)
        raise _refusal(exc) from exc
    log.info("dynamic registration: issuer=%s client_id=%s active=%s by %s",
             platform.issuer, platform.client_id, platform.active, started_by)
    return render_template("registration/done.html", platform=platform)


def _spend(token: str | None) -> None:
    """Each registration token is sent to the platform once, across every worker."""
    if not token:
        return
    key = "dynreg-token:" + hashlib.sha256(token.encode()).hexdigest()
    if not get_cache().add(key, 1, SPENT_TOKEN_SECONDS):
        raise Refusal(
            "this registration was sent to the LMS already (each registration token is used "
            "once): start again from the LMS if it did not complete",
            409,
            "R3",
        )


def _register(
    config: PlatformConfiguration, token: str | None, started_by: str,
    invitation: RegistrationInvitation | None,
):  # type: ignore[no-untyped-def]
    body = registration_request(
        tool_urls(), roster=config.offers_roster, deep_linking=config.offers_deep_linking,
        canvas=config.is_canvas,
    )
    client = register_tool(config, token, body)
    platform = registrations.add_dynamic_registration(
        DynamicRegistrationData(
            platform=PlatformData(
                name=config.name,
                issuer=config.issuer,
                client_id=client.client_id,
                auth_login_url=config.authorization_endpoint,
                auth_token_url=config.token_endpoint,
                key_set_url=config.jwks_uri,
            ),
            deployment_id=client.deployment_id,
            product_family=config.product_family,
            openid_configuration_url=config.url,
            platform_configuration=config.document,
            registration_response=client.response,
            started_by=started_by,
        ),
        activate=_trusted(config.issuer),
    )
    if invitation is not None:
        invitation.platform_id = platform.id
    registrations.commit_registration(platform)
    return platform


# --------------------------------------------------------------------------- Canvas


@bp.get("/canvas.json")
def canvas_json():
    """The Canvas developer key configuration (Canvas: LTI Key → Enter URL / Paste JSON)."""
    public = dict(keys.signing_key().public_jwk)
    response = jsonify(canvas_developer_key(tool_urls(), public))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
