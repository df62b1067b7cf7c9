"""The course area: ``/courses/<id>/…``. Access is decided here, once, for every child.

Feature blueprints (planning, observations, notes) are registered *inside*
this blueprint, so Flask runs its ``url_value_preprocessor`` and
``before_request`` for them too: no feature view can forget the check.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf import FlaskForm
from markupsafe import Markup

from lti_tool.boundaries import parse_id
from lti_tool.courses import registry, targets
from lti_tool.courses.context import (
    CourseContext,
    course_locale,
    identity_switch,
    load_course_context,
)
from lti_tool.courses.identity import switched_page, typed_fields
from lti_tool.courses.models import Membership, Person
from lti_tool.courses.policy import Permission, requires
from lti_tool.courses.roster import RosterUnavailableError, refresh, roster_status
from lti_tool.courses.sessions import token_conflict
from lti_tool.extensions import db
from lti_tool.lti.errors import ServiceError

bp = Blueprint("courses", __name__, url_prefix="/courses/<int:course_id>")
log = logging.getLogger("lti_tool.courses")


@bp.url_value_preprocessor
def pull_course(endpoint, values):  # type: ignore[no-untyped-def]
    g.course_id = values.pop("course_id")
    g.locale = course_locale(g.course_id)


@bp.url_defaults
def add_course(endpoint, values):  # type: ignore[no-untyped-def]
    if "course_id" not in values and getattr(g, "course_id", None) is not None:
        values["course_id"] = g.course_id


def embedded_by_another_site() -> bool:
    """A page of another site (an LMS discussion post, say) frames a course page directly.

    Staffroom is framed by the LMS only through a launch (a POST to ``/lti/launch``);
    every later page in that frame is reached from within it (same origin). A GET
    that a cross-site or same-site page made into a frame would show a teacher's
    page, with its buttons, inside someone else's page: clickjacking. Browsers
    without Fetch Metadata send no ``Sec-Fetch-*`` headers and are not refused.
    """
    return (
        request.method == "GET"
        and request.headers.get("Sec-Fetch-Dest") == "iframe"
        and request.headers.get("Sec-Fetch-Site") in ("cross-site", "same-site")
    )


@bp.before_request
def require_staff_membership():
    if embedded_by_another_site():
        return render_template("errors/embedded.html"), 403
    conflict = token_conflict()
    if conflict is not None:
        # A page opened with someone's session token, after someone else launched here.
        return switched_page(conflict)
    ctx = load_course_context(g.course_id)
    if ctx is None:
        # The session (cookie or token) has ended: what the form held is given back, and
        # the page asked for (a plan opened in a new tab, or sent by a colleague) is
        # remembered for a short while: the next launch into this course goes there.
        path = targets.requested_path(g.course_id)
        response = make_response(render_template(
            "errors/not_launched.html", typed=typed_fields(), remembered=path is not None), 401)
        return targets.remember_requested_path(response, g.course_id, path)
    if not ctx.is_staff:
        return render_template("lti/staff_only.html", ctx=None), 403
    g.ctx = ctx
    return _opened_by_someone_else(ctx)


def _opened_by_someone_else(ctx: CourseContext):  # type: ignore[no-untyped-def]
    """A form that says who opened it (``_who``), posted now by someone else: refuse it.

    On a shared computer a form can outlive its person: someone else launched in
    another tab, and the browser (or the person, by "Back") sends the old form with
    the new person's session. What it holds must never be saved under their name.
    """
    if request.method != "POST":
        return None
    who = request.form.get("_who")
    if who is None or parse_id(who) == ctx.person.id:
        return None
    switch = identity_switch() or {"previous": "the person who opened this form"}
    return switched_page({**switch, "current": ctx.person.display_name})


@dataclass(frozen=True)
class TeamMember:
    """One line of the course team on the dashboard."""

    id: int
    display_name: str
    role_labels: str


# Built once: a reused statement keeps its SQLAlchemy cache key (no construction per visit).
# Only the columns the list shows: a course team can be long, and ORM objects for every
# member (two per line) were most of the dashboard's cost.
_TEAM = (
    sa.select(
        Person.id, Person.sub, Person.name, Person.given_name, Person.family_name,
        Person.email, Membership.roles,
    )
    .join(Membership, Membership.person_id == Person.id)
    .where(
        Membership.course_id == sa.bindparam("course_id"),
        Membership.is_active_staff(),
    )
    .order_by(Person.family_name, Person.name, Person.id)
)


@functools.lru_cache(maxsize=128)
def _role_labels(roles: str) -> str:
    """:attr:`Membership.role_labels` for a stored roles string (a pure function of it)."""
    return Membership(roles=roles).role_labels


def _team(course_id: int) -> list[TeamMember]:
    """The course's active staff, in name order; one query returning plain rows.

    Run on the session's connection (same transaction): plain rows need none of the
    ORM's result processing, which costs about as much as the query for a long team.
    """
    rows = db.session.connection().execute(_TEAM, {"course_id": course_id})
    return [
        # display_name only reads the name columns, which the row has under the same names.
        TeamMember(row.id, Person.display_name.fget(row), _role_labels(row.roles))  # type: ignore[attr-defined]
        for row in rows
    ]


@bp.get("/")
@requires(Permission.VIEW_COURSE_DASHBOARD)
def dashboard():
    return _render_dashboard(g.ctx)


def _render_dashboard(ctx: CourseContext, canonical_url: str | None = None) -> str:
    """The dashboard shell: the panels features registered, then the course team."""
    course = ctx.course
    can_refresh = bool(course.nrps_url) and ctx.can(Permission.REFRESH_ROSTER)
    # Each panel is rendered by its own template, with autoescaping: it is markup already.
    panels = [Markup(html) for panel in registry.panels() if (html := panel.render(ctx))]  # noqa: S704
    return render_template(
        "courses/dashboard.html",
        ctx=ctx,
        panels=panels,
        team=_team(course.id),
        roster=roster_status(course),
        refresh_form=FlaskForm() if can_refresh else None,
        canonical_url=canonical_url,
    )


def land(course_id: int, known: CourseContext | None = None):  # type: ignore[no-untyped-def]
    """The answer to a staff launch into a course: its dashboard, at once.

    Rendering the dashboard in the launch response, rather than redirecting to
    it, saves the teacher a round trip. The page names ``/courses/<id>/`` as
    its canonical address, and ``canonical-url.js`` puts that address in the
    browser's history, so that a reload or a "back" is a plain GET of the
    dashboard, never a resubmission of the launch. Access is decided exactly
    as for ``GET /courses/<id>/``; ``known`` is the context the launch has
    just read, if it is current, to spare reading it again.
    """
    g.course_id = course_id
    if known is not None and known.course.id == course_id and known.is_staff:
        g.ctx = known
    else:
        refused = require_staff_membership()
        if refused is not None:
            return refused
    if not g.ctx.can(Permission.VIEW_COURSE_DASHBOARD):
        abort(403)
    return _render_dashboard(g.ctx, canonical_url=url_for("courses.dashboard"))


@bp.post("/roster/refresh")
@requires(Permission.REFRESH_ROSTER)
def refresh_roster():
    """Bring the course team up to date from the LMS roster (Names and Role Provisioning)."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        # The button asks for the whole roster: a teacher who doubts it gets all of it.
        result = refresh(g.ctx.course, use_differences=False)
    except RosterUnavailableError as exc:
        flash(f"The roster cannot be refreshed: {exc}", "error")
    except ServiceError as exc:
        log.warning("roster refresh failed course=%s: %s", g.ctx.course.id, exc.message)
        flash(
            f"The LMS did not give Staffroom the roster ({exc.message}). Nothing was changed; "
            "try again later or ask your LMS administrator.",
            "error",
        )
    else:
        flash(
            f"Roster refreshed from the LMS: {g.ctx.course.roster_member_count} members found; "
            f"{result.added} added, {result.updated} updated, "
            f"{result.deactivated} no longer in the course.",
            "success",
        )
    return redirect(url_for("courses.dashboard"), code=303)


@bp.post("/course-copy")
def link_course_copy():
    """A teacher of both courses links this course (a copy) to the other's space."""
    form = targets.LinkCourseForm()
    if not form.validate_on_submit():
        abort(400)
    source_id = parse_id(form.source_id.data)
    if source_id is None or not targets.may_link(g.ctx, source_id):
        return render_template(
            "courses/target_refused.html", ctx=g.ctx,
            message="This course cannot be linked to that one: you must teach in both, and "
            "neither may be linked to another course already.",
            dashboard=url_for("courses.dashboard"),
        ), 403
    targets.link_courses(g.ctx, source_id, "teacher")
    flash("This course now shares the planning space of the course it was copied from.",
          "success")
    target = form.target.data or ""
    if registry.link_target(target) is not None:
        return targets.open_target(load_course_context(g.course_id) or g.ctx, target)
    return redirect(url_for("courses.dashboard"), code=303)
