"""Deep linking: a teacher places Staffroom in their course (checklist D1–D5).

The launch handler (:mod:`lti_tool.courses.launch`) answers an
``LtiDeepLinkingRequest`` with the picker (:func:`start`); the picker posts to
``/lti/deep-link`` (:func:`respond`), which asks ``lti/`` to sign the response
(:func:`lti_tool.lti.deep_linking.response_jwt`) and auto-posts it back to the LMS.
"""

from __future__ import annotations

from flask import Blueprint, render_template, session
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from lti_tool.extensions import db
from lti_tool.lti.context import DeepLinkingSettings, LaunchContext
from lti_tool.lti.deep_linking import ResourceLinkItem, accepts_resource_links, response_jwt
from lti_tool.lti.launch import external_url
from lti_tool.lti.models import Platform

# The path stays under /lti/: it is where the picker's form has always posted.
bp = Blueprint("deep_linking", __name__, url_prefix="/lti")

SESSION_KEY = "deep_link"


class DeepLinkForm(FlaskForm):
    title = StringField(
        "Title of the link in your course",
        validators=[DataRequired("Give the link a title."), Length(max=255)],
    )


def start(ctx: LaunchContext):  # type: ignore[no-untyped-def]
    """A teacher is placing Staffroom in the LMS: offer a link to the course's staffroom."""
    if not ctx.roles.is_staff:
        return render_template("lti/staff_only.html", ctx=ctx)
    settings = ctx.deep_linking
    assert settings is not None
    session[SESSION_KEY] = {
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
def respond():
    """Send the chosen link back to the LMS (Deep Linking 2.0 response, D1–D5)."""
    pending = session.get(SESSION_KEY)
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
    session.pop(SESSION_KEY, None)
    return render_template("lti/deep_link_return.html", return_url=settings.return_url, jwt=token)
