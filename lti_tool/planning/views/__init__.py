"""Planning views: ``/courses/<course_id>/spaces/…`` (nested in the course blueprint).

One module per resource: :mod:`.spaces`, :mod:`.members`, :mod:`.plans`,
:mod:`.history`, :mod:`.templates`, :mod:`.drafts`, :mod:`.checklist`. The course blueprint has
already refused anyone who is not active staff of the course in the URL, and
:func:`~lti_tool.planning.policy.load_space_from_request` has put the person's
:class:`~lti_tool.planning.policy.SpaceAccess` in ``g.space`` (or answered 404)
for every URL with a ``space_id``. Views only *declare* the permission they need,
with :func:`~lti_tool.courses.policy.requires`, and call the services.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, request

from lti_tool.courses.registry import Subject
from lti_tool.markdown import render as render_markdown
from lti_tool.planning import services
from lti_tool.planning.forms import KIND_LABELS
from lti_tool.planning.models import Plan, Space
from lti_tool.planning.policy import SpaceAccess, SpacePermission, load_space_from_request
from lti_tool.tasks.models import Task
from lti_tool.tasks.services import open_tasks

bp = Blueprint("planning", __name__, url_prefix="/spaces")
bp.before_request(load_space_from_request)


def _space() -> Space:
    return g.space.space


@bp.app_template_filter("markdown")
def markdown_filter(text: str | None, heading_offset: int = 0):  # type: ignore[no-untyped-def]
    return render_markdown(text or "", heading_offset)


@bp.context_processor
def planning_globals() -> dict[str, Any]:
    return {"kind_labels": KIND_LABELS, "ctx": g.get("ctx"), "access": g.get("space"),
            "plan_subject": plan_subject, "space_extras": space_extras}


def plan_subject(plan: Plan) -> Subject:
    return Subject(services.PLAN_KIND, plan.id)


TASKS_SHOWN = 10  # open tasks at a time on a space's home


def space_extras(access: SpaceAccess) -> dict[str, Any]:
    """What ``_space_extras.html`` shows on a space's home: its open tasks, soonest first,
    :data:`TASKS_SHOWN` at a time (``?tasks=<offset>`` for the next ones)."""
    space = access.space
    on_space_or_its_plans = (
        ((Task.subject_kind == services.SPACE_KIND) & (Task.subject_id == space.id))
        | ((Task.subject_kind == services.PLAN_KIND)
           & Task.subject_id.in_(services.plan_ids_of(space)))
    )
    raw = request.args.get("tasks", "")
    offset = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 6 else 0
    tasks = open_tasks(on_space_or_its_plans, limit=TASKS_SHOWN + 1, offset=offset)
    return {
        "tasks": tasks[:TASKS_SHOWN],
        "earlier": max(0, offset - TASKS_SHOWN) if offset else None,
        "later": offset + TASKS_SHOWN if len(tasks) > TASKS_SHOWN else None,
        "subject": Subject(services.SPACE_KIND, space.id),
        "can_manage_tasks": access.can(SpacePermission.MANAGE_TASKS),
    }


from lti_tool.planning.views import (  # noqa: E402,F401
    checklist,
    drafts,
    history,
    members,
    plans,
    spaces,
    templates,
)
