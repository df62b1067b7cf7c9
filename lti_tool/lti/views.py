"""LTI endpoints: ``/lti/login``, ``/lti/launch``, ``/lti/jwks.json``."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify, render_template, request

from lti_tool.extensions import csrf
from lti_tool.lti import keys
from lti_tool.lti.errors import CookiesBlockedError, LtiError, PlatformStorageCheck
from lti_tool.lti.handoff import hand_over
from lti_tool.lti.launch import begin_login, resume_login, validate_launch

bp = Blueprint("lti", __name__, url_prefix="/lti")
log = logging.getLogger("lti_tool.lti")


@bp.errorhandler(LtiError)
def lti_error(exc: LtiError):
    log.warning(
        "lti refused code=%s status=%s reason=%r %s",
        exc.code,
        exc.status,
        exc.message,
        " ".join(f"{k}={v}" for k, v in exc.log.items()),
    )
    relaunch = exc.relaunch_url if isinstance(exc, CookiesBlockedError) else None
    return (
        render_template(
            "lti/error.html", error=exc, cookies_blocked=isinstance(exc, CookiesBlockedError),
            relaunch=relaunch,
        ),
        exc.status,
    )


@bp.route("/login", methods=["GET", "POST"])
@csrf.exempt
def login():
    """Step 1 of the launch: the platform's third-party initiated login (GET or POST)."""
    source = request.form if request.method == "POST" else request.args
    params = {k: v for k, v in source.items() if isinstance(v, str)}
    return begin_login(params)


@bp.route("/launch", methods=["POST"])
@csrf.exempt
def launch():
    """Steps 2–4: validate the id_token, then hand the launch over (see ``handoff``).

    Without the state cookie, when the login stored the state in the platform's
    storage, the answer is a page that fetches it from there and posts the launch
    again with it (checklist P1–P3).
    """
    try:
        ctx, platform = validate_launch(request.form.to_dict())
    except PlatformStorageCheck as check:
        fields = {k: v for k, v in check.form.items() if k in ("id_token", "state")}
        return render_template(
            "lti/platform_storage.html", mode="get", next_url=request.base_url,
            storage=check.storage, state=check.state, nonce=check.nonce, fields=fields,
        )
    return hand_over(ctx, platform)


@bp.get("/resume/<handle>")
def resume(handle: str):
    """The "open in a new tab" link of a launch whose frame kept no cookie: its login again.

    The handle works once and for a few minutes; it names the login's own
    parameters (the platform, the person's hint, the link and target), so the new
    tab opens the same course and target after a complete, cookie-checked launch.
    """
    response = resume_login(handle)
    if response is None:
        return render_template("lti/resume_expired.html"), 410
    return response


@bp.get("/jwks.json")
def jwks():
    """The tool's public keys (JWK Set), for platforms to verify what the tool signs."""
    response = jsonify(keys.jwks())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
