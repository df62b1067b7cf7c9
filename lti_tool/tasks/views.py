"""Task views: "My tasks", and creating and changing tasks on any object.

URLs (nested in the course blueprint): ``/courses/<cid>/tasks/`` ("My tasks",
endpoint ``courses.tasks.mine``), ``/tasks/new?on=<kind>:<id>`` (a task on that
object), ``/tasks/<id>/edit`` and ``/tasks/<id>/status``. Who may do so is the
object's kind's rule in the registry: someone who may not see the object gets
404, someone who may see but not contribute 403.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from lti_tool.courses import registry
from lti_tool.courses.links import safe_next
from lti_tool.courses.registry import AudienceMember, Subject, SubjectInfo
from lti_tool.tasks import services
from lti_tool.tasks.forms import StatusForm, TaskForm
from lti_tool.tasks.models import Task, TaskStatus

bp = Blueprint("tasks", __name__, url_prefix="/tasks")

DATE_MESSAGE = "Enter the date as year-month-day, for example 2026-03-31"


@bp.get("/")
def mine():
    """The teacher's open tasks on everything they may see, overdue first, a page at a time
    (``?page=2``)."""
    raw = request.args.get("page", "")
    page = int(raw) if raw.isascii() and raw.isdigit() and 0 < len(raw) <= 6 else 1
    return render_template(
        "tasks/mine.html", ctx=g.ctx, tasks=services.my_tasks(g.ctx.person, max(1, page)),
        status_form=StatusForm(),
    )


def _task_input(form: TaskForm) -> services.TaskInput:
    return services.TaskInput(
        title=form.title.data or "",
        owner_id=form.owner_id.data,
        due_on=form.due_on.data,
        status=form.status.data or TaskStatus.TO_DO,
    )


def _validate(form: TaskForm, members: list[AudienceMember]) -> bool:
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


def _page(form: TaskForm, info: SubjectInfo, task: Task | None, conflict: Any = None,
          status: int = 200):  # type: ignore[no-untyped-def]
    return render_template(
        "tasks/form.html", ctx=g.ctx, subject=info, form=form, task=task, conflict=conflict,
        back=safe_next(form.next.data, info.url),
    ), status


@bp.route("/new", methods=["GET", "POST"])
def create():
    """A new task on the object named by ``on`` (``plan:12``)."""
    subject = Subject.parse(request.values.get("on"))
    if subject is None:
        abort(404)
    info = registry.require(subject, g.ctx.person, contribute=True)
    members = registry.audience(subject)
    form = TaskForm()
    form.set_members(members)
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if request.method == "POST" and _validate(form, members):
        task = services.create_task(subject, _task_input(form), g.ctx.person)
        flash(f"Task added: {task.title}", "success")
        return redirect(safe_next(form.next.data, info.url), code=303)
    return _page(form, info, None, status=422 if request.method == "POST" else 200)


def _load(task_id: int) -> tuple[Task, SubjectInfo]:
    task = services.get_task(task_id, g.ctx.person)
    if task is None:
        abort(404)
    info = registry.require(services.subject_of(task), g.ctx.person, contribute=True)
    return task, info


@bp.route("/<int:task_id>/edit", methods=["GET", "POST"])
def edit(task_id: int):
    """Change a task's title, owner, due date or status; an edit of an older version is refused."""
    task, info = _load(task_id)
    members = registry.audience(services.subject_of(task))
    form = TaskForm(obj=task) if request.method == "GET" else TaskForm()
    form.set_members(members)
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        form.version.data = str(task.version)
        return _page(form, info, task)
    base = form.version.data or ""
    if not (base.isascii() and base.isdigit() and len(base) <= 9):
        abort(400, "The form did not say which version of the task it was edited from.")
    if not _validate(form, members):
        return _page(form, info, task, status=422)
    try:
        services.update_task(task, _task_input(form), int(base))
    except services.StaleTaskError:
        current = services.get_task(task_id, g.ctx.person)
        if current is None:
            abort(404)
        form.version.data = str(current.version)
        return _page(form, info, current, conflict=_conflict(current), status=409)
    flash(f"Task saved: {task.title}", "success")
    return redirect(safe_next(form.next.data, info.url), code=303)


def _conflict(task: Task) -> dict[str, Any]:
    """What the colleague's save left: shown above the form, which keeps what you typed."""
    owner = next((m.name for m in registry.audience(services.subject_of(task))
                  if m.id == task.owner_id), None)
    return {
        "title": task.title,
        "owner": owner or "Nobody yet",
        "due_on": task.due_on,
        "status": services.STATUS_LABELS[TaskStatus(task.status)],
    }


@bp.post("/<int:task_id>/status")
def set_status(task_id: int):
    """One-click status change from a list ("Start", "Done", "Reopen"): the status only."""
    task, _info = _load(task_id)
    form = StatusForm()
    if not form.validate_on_submit() or form.status.data not in set(TaskStatus):
        abort(400)
    services.set_status(task, TaskStatus(form.status.data))
    flash(f"“{task.title}” is now {services.STATUS_LABELS[TaskStatus(task.status)].lower()}.",
          "success")
    return redirect(safe_next(form.next.data, url_for("courses.tasks.mine")), code=303)


def tasks_for(subject: Subject, *, can_manage: bool | None = None) -> dict[str, Any]:
    """What ``tasks/_subject_panel.html`` shows under an object: its tasks and the add form."""
    if can_manage is None:
        can_manage = registry.can_see(subject, g.ctx.person, contribute=True)
    members = registry.audience(subject) if can_manage else []
    form = TaskForm(formdata=None)
    form.set_members(members)
    form.next.data = request.path
    # An object with many tasks shows its soonest ones first; ?tasks=all shows the rest.
    shown = services.SUBJECT_MAX if request.args.get("tasks") == "all" else services.SUBJECT_SHOWN
    tasks = services.subject_tasks(subject, limit=shown + 1, describe=False)
    return {
        "tasks": tasks[:shown],
        "more": len(tasks) > shown and shown < services.SUBJECT_MAX,
        "form": form,
        "can_manage": can_manage,
        "subject": subject,
    }
