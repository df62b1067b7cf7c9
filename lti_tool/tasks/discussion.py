"""Discussion views: posting comments on a plan (nested in the course blueprint).

``POST /courses/<cid>/discussion/spaces/<space_id>/plans/<plan_id>/comments``
(endpoint ``courses.discussion.post``). The form sits under the plan (in
``templates/planning/_plan_extras.html``); a refused comment is shown again on
this blueprint's own page with the message next to the field and the text kept.

The same module provides the template globals the planning pages' partials
call (``plan_extras``, ``space_extras``) and the dashboard's ``whats_new``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request

from lti_tool.planning.comments import CommentError, add_comment, comments_of, mark_mentions_seen
from lti_tool.planning.models import Plan
from lti_tool.planning.policy import (
    SpaceAccess,
    SpacePermission,
    load_space_from_request,
    require,
)
from lti_tool.tasks import services
from lti_tool.tasks.forms import CommentForm, StatusForm, TaskForm
from lti_tool.tasks.links import plan_url, safe_next
from lti_tool.tasks.whats_new import record_space_visit, whats_new

bp = Blueprint("discussion", __name__, url_prefix="/discussion")
bp.before_request(load_space_from_request)


@bp.post("/spaces/<int:space_id>/plans/<int:plan_id>/comments")
def post(space_id: int, plan_id: int):
    require(g.space, SpacePermission.COMMENT)
    plan = services.get_plan(g.space.space, plan_id)
    if plan is None:
        abort(404)
    form = CommentForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        comment = add_comment(g.space.space, plan, g.ctx.person, form.body.data or "")
    except CommentError as exc:
        form.body.errors = [exc.message]
        return render_template(
            "tasks/comment_form.html", ctx=g.ctx, space=g.space.space, plan=plan, form=form,
            back=safe_next(form.next.data, plan_url(space_id, plan.id)),
        ), 422
    flash("Comment posted.", "success")
    back = safe_next(form.next.data, plan_url(space_id, plan.id)).split("#")[0]
    return redirect(f"{back}#comment-{comment.id}", code=303)


@bp.app_template_global()
def plan_extras(plan: Plan, access: SpaceAccess) -> dict[str, Any]:
    """What ``_plan_extras.html`` shows under a plan: its tasks and its discussion.

    Showing the discussion to a member marks their mentions in it as seen.
    """
    members = services.space_members(access.space)
    task_form = TaskForm(formdata=None)
    task_form.set_members(members)
    task_form.plan_id.data = str(plan.id)
    task_form.next.data = request.path
    comment_form = CommentForm(formdata=None)
    comment_form.next.data = request.path
    mark_mentions_seen(access.person, plan)
    return {
        "tasks": services.plan_tasks(plan),
        "comments": comments_of(plan, members),
        "members": members,
        "task_form": task_form,
        "status_form": StatusForm(formdata=None),
        "comment_form": comment_form,
        "can_comment": access.can(SpacePermission.COMMENT),
        "can_manage_tasks": access.can(SpacePermission.MANAGE_TASKS),
    }


@bp.app_template_global()
def space_extras(access: SpaceAccess) -> dict[str, Any]:
    """What ``_space_extras.html`` shows on a space's home: its open tasks.

    Showing the space's home is the visit that "what's new" counts from.
    """
    record_space_visit(access.space, access.person)
    return {
        "tasks": services.open_space_tasks(access.space),
        "status_form": StatusForm(formdata=None),
        "can_manage_tasks": access.can(SpacePermission.MANAGE_TASKS),
    }


bp.add_app_template_global(whats_new, "whats_new")
bp.add_app_template_global(plan_url, "task_plan_url")
