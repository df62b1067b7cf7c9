"""Autosave: the teacher's unsaved edits of a plan form, kept as a draft."""

from __future__ import annotations

from datetime import datetime

from flask import (
    abort,
    flash,
    g,
    jsonify,
    redirect,
    request,
    url_for,
)
from flask_wtf import FlaskForm

from lti_tool.boundaries import parse_id
from lti_tool.courses.policy import requires
from lti_tool.planning import services
from lti_tool.planning.policy import SpacePermission, load_plan
from lti_tool.planning.views import _space, bp
from lti_tool.planning.views.plans import _template_start

# --- drafts (autosave) ----------------------------------------------------------------------


@bp.post("/<int:space_id>/drafts")
@requires(SpacePermission.EDIT_PLANS)
def save_draft(space_id: int):
    """Autosave: upsert the teacher's draft of a plan form (JSON; CSRF in X-CSRFToken)."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return jsonify(error="expected a JSON object"), 400
    plan_key = str(payload.get("plan_key", ""))
    if not services.DRAFT_KEY.match(plan_key):
        return jsonify(error="unknown plan_key"), 400
    if plan_key.startswith("plan-"):
        load_plan(g.space, int(plan_key.removeprefix("plan-")))
    base = payload.get("base_version")
    if base is not None and (not isinstance(base, int) or parse_id(base) is None):
        return jsonify(error="base_version must be a number"), 400
    try:
        data = services.clean_draft_data(payload.get("data"))
        draft = services.save_draft(g.ctx.person, _space(), plan_key, base, data)
    except services.InvalidDraftError as exc:
        return jsonify(error=str(exc)), 400
    return jsonify(saved_at=_iso(draft.updated_at))


@bp.post("/<int:space_id>/drafts/discard")
@requires(SpacePermission.EDIT_PLANS)
def discard_draft(space_id: int):
    if not FlaskForm().validate_on_submit():
        abort(400)
    plan_key = request.form.get("plan_key", "")
    if not services.DRAFT_KEY.match(plan_key):
        abort(400)
    services.discard_draft(g.ctx.person, _space(), plan_key)
    flash("Your unsaved changes were discarded.", "success")
    if plan_key.startswith("plan-"):
        plan = load_plan(g.space, int(plan_key.removeprefix("plan-")))
        return redirect(url_for(".edit_plan", space_id=space_id, plan_id=plan.id), code=303)
    template = request.form.get("template", "")
    if _template_start(template) is None:
        template = "blank:" + plan_key.removeprefix("new-")
    return redirect(url_for(".new_plan", space_id=space_id, template=template), code=303)


def _iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat() + "Z"


