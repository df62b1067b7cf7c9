"""Deep linking: a teacher places Staffroom content in their course (checklist D1–D5).

The launch handler (:mod:`lti_tool.courses.launch`) answers an
``LtiDeepLinkingRequest`` with the picker (:func:`start`): everything the features
registered as link targets (:class:`~lti_tool.courses.registry.LinkTarget`) that this
teacher may place from this course. The picker posts to ``/lti/deep-link``
(:func:`respond`), which checks the choice again, asks ``lti/`` to sign the response
(:func:`lti_tool.lti.deep_linking.response_jwt`) and auto-posts it back to the LMS.
Each item carries its target (see :mod:`lti_tool.courses.targets`).
"""

from __future__ import annotations

from flask import Blueprint, render_template, request, session
from flask_wtf import FlaskForm

from lti_tool.courses import registry, targets
from lti_tool.courses.context import CourseContext, load_course_context
from lti_tool.extensions import db
from lti_tool.lti.context import DeepLinkingSettings, LaunchContext
from lti_tool.lti.deep_linking import ResourceLinkItem, accepts_resource_links, response_jwt
from lti_tool.lti.models import Platform

# The path stays under /lti/: it is where the picker's form has always posted.
bp = Blueprint("deep_linking", __name__, url_prefix="/lti")

SESSION_KEY = "deep_link"
MAX_ITEMS = 50


def choices(course_ctx: CourseContext) -> list[registry.LinkChoice]:
    """What this teacher may place from this course, in the order the features gave."""
    return [c for target in registry.link_targets() for c in target.choices(course_ctx)]


def _groups(options: list[registry.LinkChoice]) -> list[tuple[str, list[registry.LinkChoice]]]:
    groups: dict[str, list[registry.LinkChoice]] = {}
    for option in options:
        groups.setdefault(option.group, []).append(option)
    return list(groups.items())


def _settings(pending: dict) -> DeepLinkingSettings:  # type: ignore[type-arg]
    return DeepLinkingSettings(
        return_url=pending["return_url"],
        accept_types=tuple(pending["accept_types"]),
        accept_multiple=pending["accept_multiple"],
        data=pending["data"],
    )


def _picker(settings: DeepLinkingSettings, course_ctx: CourseContext | None,
            chosen: list[str], error: str | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    options = choices(course_ctx) if course_ctx is not None else []
    return render_template(
        "lti/deep_link.html", form=FlaskForm(), course_ctx=course_ctx,
        accepts=accepts_resource_links(settings), multiple=settings.accept_multiple,
        groups=_groups(options), chosen=set(chosen), error=error,
    ), status


def start(ctx: LaunchContext):  # type: ignore[no-untyped-def]
    """A teacher is placing Staffroom content in the LMS: offer what they may place."""
    if not ctx.roles.is_staff:
        return render_template("lti/staff_only.html", ctx=ctx)
    if ctx.course_id is None:
        return render_template("lti/no_course.html", ctx=ctx)
    settings = ctx.deep_linking
    assert settings is not None
    session[SESSION_KEY] = {
        "platform_id": ctx.platform.id,
        "deployment_id": ctx.deployment_id,
        "course_id": ctx.course_id,
        "return_url": settings.return_url,
        "accept_types": list(settings.accept_types),
        "accept_multiple": settings.accept_multiple,
        "data": settings.data,
    }
    return _picker(settings, load_course_context(ctx.course_id), [])


@bp.post("/deep-link")
def respond():
    """Send the chosen items back to the LMS (Deep Linking 2.0 response, D1–D5)."""
    pending = session.get(SESSION_KEY)
    if not pending or "course_id" not in pending:
        return render_template("errors/not_launched.html"), 401
    settings = _settings(pending)
    course_ctx = load_course_context(pending["course_id"])
    if course_ctx is None or not course_ctx.is_staff:
        return render_template("errors/not_launched.html"), 401
    chosen = [t for t in request.form.getlist("target") if isinstance(t, str)][:MAX_ITEMS]
    if not FlaskForm().validate_on_submit():
        return _picker(settings, course_ctx, chosen,
                       "The page expired: choose again and add the links.", 400)
    if not accepts_resource_links(settings):
        return _picker(settings, course_ctx, chosen, status=400)
    offered = {c.target: c for c in choices(course_ctx)}
    if not chosen:
        return _picker(settings, course_ctx, chosen, "Choose what to add to your course.", 400)
    if len(chosen) > 1 and not settings.accept_multiple:
        return _picker(settings, course_ctx, chosen,
                       "This place in your LMS takes one link: choose one.", 400)
    unknown = [t for t in chosen if t not in offered]
    if unknown:
        return _picker(settings, course_ctx, [t for t in chosen if t in offered],
                       "Something you chose is no longer there or not yours to place: "
                       "look at the list again.", 400)
    platform = db.session.get(Platform, pending["platform_id"])
    if platform is None or not platform.active:
        return render_template("errors/not_launched.html"), 401
    items = [
        ResourceLinkItem(title=offered[t].title, url=targets.item_url(t),
                         custom=targets.item_custom(t))
        for t in dict.fromkeys(chosen)
    ]
    token = response_jwt(platform, pending["deployment_id"], settings, items)
    session.pop(SESSION_KEY, None)
    return render_template("lti/deep_link_return.html", return_url=settings.return_url, jwt=token)
