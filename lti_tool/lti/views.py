"""LTI endpoints: ``/lti/login``, ``/lti/launch``, ``/lti/jwks.json``."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify, redirect, render_template, request, url_for

from lti_tool.courses.context import remember_course
from lti_tool.courses.services import record_launch
from lti_tool.extensions import csrf
from lti_tool.lti import keys
from lti_tool.lti.errors import CookiesBlockedError, LtiError
from lti_tool.lti.launch import begin_login, validate_launch

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
    relaunch = None
    if isinstance(exc, CookiesBlockedError):
        relaunch = request.url_root.rstrip("/") + url_for("main.index")
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
    """Steps 2–4: validate the id_token, record the launch, start the tool session."""
    ctx = validate_launch(request.form.to_dict())
    ctx = record_launch(ctx)
    log.info(
        "lti launch iss=%s client_id=%s deployment_id=%s type=%s course=%s staff=%s",
        ctx.platform.issuer,
        ctx.platform.client_id,
        ctx.deployment_id,
        ctx.message_type,
        ctx.course_id,
        ctx.roles.is_staff,
    )
    if ctx.course_id is None:
        return render_template("lti/no_course.html", ctx=ctx)
    remember_course(ctx.course_id, ctx.person_id)
    if ctx.roles.is_staff:
        return redirect(url_for("courses.dashboard", course_id=ctx.course_id), code=303)
    if ctx.roles.is_learner:
        return render_template("lti/staff_only.html", ctx=ctx)
    return render_template("lti/no_course_role.html", ctx=ctx)


@bp.get("/jwks.json")
def jwks():
    """The tool's public keys (JWK Set), for platforms to verify what the tool signs."""
    response = jsonify(keys.jwks())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
