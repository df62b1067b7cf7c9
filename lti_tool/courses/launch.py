"""What a valid launch does next: the handler ``lti/`` hands every launch to.

``lti/`` has checked the launch and built its :class:`LaunchContext`; from here
on it is Staffroom's business: record who launched into which course, bind the
browser session to that person, and answer with the right page (the course
dashboard for staff, the "this is for staff" page for learners, the deep
linking picker for a teacher placing a link).
"""

from __future__ import annotations

import logging

from flask import Flask, g, render_template
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import IntegrityError

from lti_tool.courses import deep_linking, roster, sessions, targets
from lti_tool.courses.after_response import after_response
from lti_tool.courses.context import (
    course_return_url,
    identity_switch,
    load_course_context,
    membership_key,
    remember_course,
    start_person_session,
)
from lti_tool.courses.services import RegistrationRemovedError, record_launch
from lti_tool.courses.views import land
from lti_tool.dates import parse_locale
from lti_tool.lti.context import LaunchContext
from lti_tool.lti.errors import LaunchError
from lti_tool.lti.handoff import register_launch_handler
from lti_tool.lti.tool_conf import registration_exists
from lti_tool.lti.urls import web_origin

log = logging.getLogger("lti_tool.lti")


def handle_launch(ctx: LaunchContext, platform) -> ResponseReturnValue:  # type: ignore[no-untyped-def]
    """Record the launch, start the person's session, and answer with their page."""
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
    start_person_session(ctx.person_id, _display_name(ctx))
    if ctx.nrps_url and ctx.course_id is not None:
        # Whether the roster is due, and the sync itself, run after the page is sent.
        after_response(roster.sync_if_due, ctx.course_id)
    if ctx.is_deep_linking:
        if ctx.course_id is not None and ctx.roles.is_staff:
            remember_course(ctx.course_id, ctx.person_id, launch_membership_key(ctx),
                            parse_locale(ctx.locale))
            sessions.offer_token(ctx.person_id, ctx.course_id)
        return deep_linking.start(ctx)
    if ctx.course_id is None:
        return render_template("lti/no_course.html", ctx=ctx)
    g.locale = parse_locale(ctx.locale)
    remember_course(ctx.course_id, ctx.person_id, launch_membership_key(ctx), g.locale,
                    return_link(ctx, platform))
    if ctx.roles.is_staff:
        sessions.offer_token(ctx.person_id, ctx.course_id)
        # A placed link's target, or a page asked for before this launch (targets.py).
        course_ctx = course_ctx or load_course_context(ctx.course_id)
        if course_ctx is not None and course_ctx.is_staff:
            opened = targets.open_launch(ctx, course_ctx)
            if opened is not None:
                return opened
        return land(ctx.course_id, course_ctx)
    if ctx.roles.is_learner:
        return render_template("lti/staff_only.html", ctx=ctx)
    return render_template("lti/no_course_role.html", ctx=ctx)


def return_link(ctx: LaunchContext, platform) -> str | None:  # type: ignore[no-untyped-def]
    """The launch's ``launch_presentation.return_url``, if "Back to the course" may use it.

    Only an http(s) address (``lti/context.py`` keeps no other) on an origin of the
    platform that launched: its registered addresses, the LMS sites its earlier
    launches came from (``Platform.origins``), or the site of this launch's own
    services (Canvas Cloud's school domain, on its first launch); never a third site.
    """
    origin = web_origin(ctx.return_url)
    if origin is None:
        return None
    known = platform.origins() | {web_origin(ctx.nrps_url)}
    return ctx.return_url if origin in known else None


def _back_to_course() -> str | None:
    """Where this course page's "Back to the course" link goes, if the launch said."""
    course_id = g.get("course_id")
    return course_return_url(course_id) if course_id is not None else None


def _display_name(ctx: LaunchContext) -> str:
    person = ctx.person
    joined = " ".join(p for p in (person.given_name, person.family_name) if p)
    return person.name or joined or person.email or "Someone"


def launch_membership_key(ctx: LaunchContext) -> str:
    context_id = ctx.course.context_id if ctx.course is not None else ""
    return membership_key(ctx.platform.id, ctx.person.sub, context_id)


def init_app(app: Flask) -> None:
    register_launch_handler(app, handle_launch)
    sessions.init_app(app)
    app.add_template_global(_back_to_course, "back_to_course")
    app.add_template_filter(web_origin, "web_origin")
    app.add_template_global(identity_switch, "identity_switch")
