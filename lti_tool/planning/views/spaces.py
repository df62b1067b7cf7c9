"""Spaces: the list of a teacher's spaces, a new team space, invitations, a space's home."""

from __future__ import annotations

from flask import (
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf import FlaskForm

from lti_tool.courses.after_response import after_response
from lti_tool.courses.policy import requires
from lti_tool.db import utcnow
from lti_tool.planning import services
from lti_tool.planning.forms import (
    SpaceForm,
)
from lti_tool.planning.policy import SpacePermission, load_invitation
from lti_tool.planning.views import _space, bp

# --- spaces ---------------------------------------------------------------------------------


@bp.get("/")
def index():
    """The spaces this teacher belongs to: the course's own space, then team spaces."""
    course_space = services.ensure_course_space(g.ctx.course, g.ctx.person)
    return render_template(
        "planning/index.html",
        course_space=course_space,
        team_spaces=services.team_spaces_for(g.ctx.person),
        answer_form=FlaskForm(),
    )


@bp.route("/new", methods=["GET", "POST"])
def new_space():
    """Create a team space (grade-level team, department, PLC); the creator owns it."""
    form = SpaceForm()
    if form.validate_on_submit():
        space = services.create_team_space(g.ctx.person, form.name.data, form.description.data)
        flash(f"“{space.name}” is ready. Invite your colleagues from Members.", "success")
        return redirect(url_for(".space", space_id=space.id), code=303)
    status = 422 if form.errors else 200
    return render_template("planning/space_form.html", form=form), status


@bp.post("/invitations/<int:member_id>/<any(accept, decline):answer>")
def answer_invitation(member_id: int, answer: str):
    """Accept or decline an invitation (addressed to this person only)."""
    member = load_invitation(member_id, g.ctx.person)
    if not FlaskForm().validate_on_submit():
        abort(400)
    services.respond(member, accept=answer == "accept")
    if answer == "accept":
        flash(f"Welcome to “{member.space.name}”.", "success")
        return redirect(url_for(".space", space_id=member.space_id), code=303)
    flash(f"You declined the invitation to “{member.space.name}”.", "success")
    return redirect(url_for(".index"), code=303)


@bp.get("/<int:space_id>/")
@requires(SpacePermission.VIEW)
def space(space_id: int):
    """The space's home: units with their lessons, meetings, cycles and notes, each list
    a window at a time (``?units=6``: from the seventh unit on).

    Showing it is the visit "changed since your last visit" counts from, recorded
    after the page is sent (a GET page only reads).
    """
    after_response(services.record_visits, g.ctx.person.id, [space_id], utcnow())
    return render_template(
        "planning/space.html",
        space=_space(),
        home=services.space_home(_space(), services.parse_offsets(request.args)),
        nav="home",
    )


