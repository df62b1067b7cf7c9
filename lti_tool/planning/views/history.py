"""History of a plan: every revision, each as a diff of the one before, and restoring one."""

from __future__ import annotations

from flask import (
    abort,
    flash,
    g,
    redirect,
    render_template,
    url_for,
)
from flask_wtf import FlaskForm

from lti_tool.courses.policy import requires
from lti_tool.planning import diff, services
from lti_tool.planning.policy import SpacePermission, load_plan
from lti_tool.planning.views import _space, bp

# --- history --------------------------------------------------------------------------------


@bp.get("/<int:space_id>/plans/<int:plan_id>/history")
@requires(SpacePermission.VIEW)
def history(space_id: int, plan_id: int):
    plan = load_plan(g.space, plan_id)
    revisions = services.revisions_of(plan)
    return render_template(
        "planning/history.html", space=_space(), plan=plan, revisions=revisions,
        people=services.people_by_id(r.author_id for r in revisions), nav="plan",
    )


@bp.get("/<int:space_id>/plans/<int:plan_id>/history/<int:version>")
@requires(SpacePermission.VIEW)
def revision(space_id: int, plan_id: int, version: int):
    """One revision, as the changes it made to the one before it."""
    plan = load_plan(g.space, plan_id)
    rev = services.get_revision(plan, version)
    if rev is None:
        abort(404)
    previous = services.get_revision(plan, version - 1) if version > 1 else None
    changes = []
    for name, label in (("title", "Title"), ("starts_on", "Starts on"), ("ends_on", "Ends on"),
                        ("tags", "Standards and tags")):
        old = getattr(previous, name) if previous else None
        new = getattr(rev, name)
        if old != new:
            changes.append((label, old, new))
    return render_template(
        "planning/revision.html", space=_space(), plan=plan, rev=rev, previous=previous,
        changes=changes,
        objectives_diff=diff.line_diff(previous.objectives if previous else "", rev.objectives),
        body_diff=diff.line_diff(previous.body if previous else "", rev.body),
        author=services.people_by_id([rev.author_id]).get(rev.author_id or 0),
        button_form=FlaskForm(), nav="plan",
    )


@bp.post("/<int:space_id>/plans/<int:plan_id>/history/<int:version>/restore")
@requires(SpacePermission.EDIT_PLANS)
def restore(space_id: int, plan_id: int, version: int):
    plan = load_plan(g.space, plan_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    rev = services.get_revision(plan, version)
    if rev is None:
        abort(404)
    try:
        new_version = services.restore(plan, g.ctx.person, rev)
    except services.StaleVersionError:
        flash("Someone saved the plan at the same moment: nothing was restored. Try again.",
              "error")
        return redirect(url_for(".history", space_id=space_id, plan_id=plan_id), code=303)
    flash(f"Version {version} is restored as version {new_version}; the versions in between "
          "stay in the history.", "success")
    return redirect(url_for(".plan", space_id=space_id, plan_id=plan_id), code=303)


