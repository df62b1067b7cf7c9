"""Task views: "My tasks" and the tasks of a space or plan (nested in the course blueprint).

URLs: ``/courses/<cid>/tasks/`` ("My tasks", endpoint ``courses.tasks.mine``)
and ``/courses/<cid>/tasks/spaces/<space_id>/…`` for creating and changing
tasks. Any URL with ``space_id`` loads the space through the planning policy
before the view runs (404 for non-members); writes also need
``SpacePermission.MANAGE_TASKS``.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from lti_tool.planning.policy import SpacePermission, load_space_from_request, require
from lti_tool.tasks import services
from lti_tool.tasks.forms import StatusForm, TaskForm
from lti_tool.tasks.links import plan_url, safe_next
from lti_tool.tasks.models import TaskStatus

bp = Blueprint("tasks", __name__, url_prefix="/tasks")
bp.before_request(load_space_from_request)

DATE_MESSAGE = "Enter the date as year-month-day, for example 2026-03-31"


@bp.get("/")
def mine():
    """The teacher's open tasks across every space they can reach, overdue first."""
    return render_template(
        "tasks/mine.html", ctx=g.ctx, tasks=services.my_tasks(g.ctx.person),
        status_form=StatusForm(), plan_url=plan_url,
    )


def _task_input(form: TaskForm) -> services.TaskInput:
    return services.TaskInput(
        title=form.title.data or "",
        owner_id=form.owner_id.data,
        due_on=form.due_on.data,
        status=form.status.data or TaskStatus.TO_DO,
    )


def _validate(form: TaskForm, members: list[services.SpaceMemberInfo]) -> bool:
    """CSRF and field checks; the services' messages are attached to their fields."""
    ok = form.validate_on_submit()
    if form.csrf_token.errors:
        abort(400)
    if form.due_on.errors:
        form.due_on.errors = [DATE_MESSAGE]
    errors = services.validate_task(_task_input(form), members)
    for name, message in errors.fields.items():
        getattr(form, name).errors = [*getattr(form, name).errors, message]
    return ok and not errors


def _plan_from(value: str | None):  # type: ignore[no-untyped-def]
    if not value:
        return None
    if not value.isdigit():
        abort(404)
    plan = services.get_plan(g.space.space, int(value))
    if plan is None:
        abort(404)
    return plan


@bp.route("/spaces/<int:space_id>/new", methods=["GET", "POST"])
def create(space_id: int):
    """A new task on a plan (``plan_id``) or on the space itself."""
    require(g.space, SpacePermission.MANAGE_TASKS)
    space = g.space.space
    members = services.space_members(space)
    form = TaskForm()
    form.set_members(members)
    if request.method == "GET":
        form.plan_id.data = request.args.get("plan_id", "")
        form.next.data = request.args.get("next", "")
    plan = _plan_from(form.plan_id.data)
    if request.method == "POST" and _validate(form, members):
        task = services.create_task(space, plan, _task_input(form), g.ctx.person)
        flash(f"Task added: {task.title}", "success")
        return redirect(safe_next(form.next.data, _back(space_id, plan)), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template(
        "tasks/form.html", ctx=g.ctx, space=space, plan=plan, form=form, task=None,
        back=safe_next(form.next.data, _back(space_id, plan)),
    ), status


@bp.route("/spaces/<int:space_id>/<int:task_id>/edit", methods=["GET", "POST"])
def edit(space_id: int, task_id: int):
    """Change a task's title, owner, due date or status."""
    require(g.space, SpacePermission.MANAGE_TASKS)
    space = g.space.space
    task = services.get_task(space, task_id)
    if task is None:
        abort(404)
    members = services.space_members(space)
    form = TaskForm(obj=task) if request.method == "GET" else TaskForm()
    form.set_members(members)
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    plan = services.get_plan(space, task.plan_id) if task.plan_id else None
    if request.method == "POST" and _validate(form, members):
        services.update_task(task, _task_input(form))
        flash(f"Task saved: {task.title}", "success")
        return redirect(safe_next(form.next.data, _back(space_id, plan)), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template(
        "tasks/form.html", ctx=g.ctx, space=space, plan=plan, form=form, task=task,
        back=safe_next(form.next.data, _back(space_id, plan)),
    ), status


@bp.post("/spaces/<int:space_id>/<int:task_id>/status")
def set_status(space_id: int, task_id: int):
    """One-click status change from a list ("Start", "Done", "Reopen")."""
    require(g.space, SpacePermission.MANAGE_TASKS)
    task = services.get_task(g.space.space, task_id)
    if task is None:
        abort(404)
    form = StatusForm()
    if not form.validate_on_submit() or form.status.data not in set(TaskStatus):
        abort(400)
    services.update_task(
        task,
        services.TaskInput(task.title, task.owner_id, task.due_on, form.status.data),
    )
    flash(f"“{task.title}” is now {services.STATUS_LABELS[TaskStatus(task.status)].lower()}.",
          "success")
    return redirect(safe_next(form.next.data, url_for("courses.tasks.mine")), code=303)


def _back(space_id: int, plan) -> str:  # type: ignore[no-untyped-def]
    if plan is not None:
        return plan_url(space_id, plan.id)
    return url_for("courses.tasks.mine")
