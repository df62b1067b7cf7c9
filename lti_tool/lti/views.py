"""LTI endpoints: ``/lti/login``, ``/lti/launch``, ``/lti/jwks.json``."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify, render_template, request, session
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from lti_tool.courses.context import membership_key, remember_course, start_person_session
from lti_tool.courses.services import RegistrationRemovedError, record_launch
from lti_tool.courses.views import land
from lti_tool.extensions import csrf, db
from lti_tool.lti import keys
from lti_tool.lti.context import DeepLinkingSettings, LaunchContext
from lti_tool.lti.deep_linking import ResourceLinkItem, accepts_resource_links, response_jwt
from lti_tool.lti.errors import CookiesBlockedError, LaunchError, LtiError
from lti_tool.lti.launch import begin_login, external_url, validate_launch
from lti_tool.lti.models import Platform
from lti_tool.lti.tool_conf import registration_exists

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
    """Steps 2–4: validate the id_token, record the launch, start the tool session."""
    ctx, platform = validate_launch(request.form.to_dict())
    try:
        ctx, course_ctx = record_launch(ctx, platform)
    except (IntegrityError, RegistrationRemovedError) as exc:
        # Rows that would refer to a registration removed a moment ago (after the
        # launch's checks read it): refuse the launch, nothing was written. Any
        # other failure to write is a fault and stays one.
        if registration_exists(platform.id, ctx.deployment_pk):
            raise
        # The class name only: the exception's text could carry the launch's values.
        log.warning(
            "lti launch recorded nothing: registration removed meanwhile (%s)",
            exc.__class__.__name__,
        )
        raise LaunchError(
            "V7", "the platform or deployment of this launch was removed while it was "
            "being recorded: check it on the tool's admin page",
            iss=platform.issuer, client_id=platform.client_id,
        ) from None
    log.info(
        "lti launch iss=%s client_id=%s deployment_id=%s type=%s course=%s staff=%s",
        ctx.platform.issuer,
        ctx.platform.client_id,
        ctx.deployment_id,
        ctx.message_type,
        ctx.course_id,
        ctx.roles.is_staff,
    )
    start_person_session(ctx.person_id)
    if ctx.is_deep_linking:
        return _start_deep_linking(ctx)
    if ctx.course_id is None:
        return render_template("lti/no_course.html", ctx=ctx)
    remember_course(ctx.course_id, ctx.person_id, _membership_key(ctx))
    if ctx.roles.is_staff:
        return land(ctx.course_id, course_ctx)
    if ctx.roles.is_learner:
        return render_template("lti/staff_only.html", ctx=ctx)
    return render_template("lti/no_course_role.html", ctx=ctx)


def _membership_key(ctx: LaunchContext) -> str:
    context_id = ctx.course.context_id if ctx.course is not None else ""
    return membership_key(ctx.platform.id, ctx.person.sub, context_id)


@bp.get("/jwks.json")
def jwks():
    """The tool's public keys (JWK Set), for platforms to verify what the tool signs."""
    response = jsonify(keys.jwks())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


class DeepLinkForm(FlaskForm):
    title = StringField(
        "Title of the link in your course",
        validators=[DataRequired("Give the link a title."), Length(max=255)],
    )


DEEP_LINK_SESSION_KEY = "deep_link"


def _start_deep_linking(ctx: LaunchContext):  # type: ignore[no-untyped-def]
    """A teacher is placing Staffroom in the LMS: offer a link to the course's staffroom."""
    if not ctx.roles.is_staff:
        return render_template("lti/staff_only.html", ctx=ctx)
    settings = ctx.deep_linking
    assert settings is not None
    if ctx.course_id is not None:
        remember_course(ctx.course_id, ctx.person_id, _membership_key(ctx))
    session[DEEP_LINK_SESSION_KEY] = {
        "platform_id": ctx.platform.id,
        "deployment_id": ctx.deployment_id,
        "return_url": settings.return_url,
        "accept_types": list(settings.accept_types),
        "accept_multiple": settings.accept_multiple,
        "data": settings.data,
    }
    form = DeepLinkForm(title=settings.title or "Staffroom")
    return render_template(
        "lti/deep_link.html", form=form, ctx=ctx, accepts=accepts_resource_links(settings)
    )


@bp.post("/deep-link")
def deep_link_response():
    """Send the chosen link back to the LMS (Deep Linking 2.0 response, checklist D1–D5)."""
    pending = session.get(DEEP_LINK_SESSION_KEY)
    if not pending:
        return render_template("errors/not_launched.html"), 401
    form = DeepLinkForm()
    settings = DeepLinkingSettings(
        return_url=pending["return_url"],
        accept_types=tuple(pending["accept_types"]),
        accept_multiple=pending["accept_multiple"],
        data=pending["data"],
    )
    if not form.validate_on_submit():
        return render_template(
            "lti/deep_link.html", form=form, ctx=None, accepts=accepts_resource_links(settings)
        ), 400
    platform = db.session.get(Platform, pending["platform_id"])
    if platform is None or not platform.active:
        return render_template("errors/not_launched.html"), 401
    token = response_jwt(
        platform,
        pending["deployment_id"],
        settings,
        [ResourceLinkItem(title=form.title.data.strip(), url=external_url("lti.launch"))],
    )
    session.pop(DEEP_LINK_SESSION_KEY, None)
    return render_template("lti/deep_link_return.html", return_url=settings.return_url, jwt=token)
