"""Checklists ticked on the plan page, without opening the editor.

The plan page shows each checklist item of a plan's objectives and text with a tick
button (for whoever may edit plans): one form around the text, one button per item
(``name="tick" value="<field>:<index>:<0|1>"``), and each item's words in a hidden
field, so that the server can find the item again if a colleague has added or moved
items since. Without JavaScript a press posts the form and the page comes back with
the item ticked; planning.js sends the same form in the background and turns the box
in place. Each tick is a revision of its own (:func:`lti_tool.planning.services.tick`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask import abort, flash, g, jsonify, redirect, request, url_for
from flask_wtf import FlaskForm
from markupsafe import Markup

from lti_tool.courses.policy import requires
from lti_tool.markdown import TaskItem
from lti_tool.markdown import render as render_markdown
from lti_tool.planning import services
from lti_tool.planning.models import Plan
from lti_tool.planning.policy import SpacePermission, load_plan
from lti_tool.planning.views import bp

_TICK = re.compile(r"(objectives|body):([0-9]{1,5}):([01])")
WORDS_MAX_CHARS = 2_000


def _control(field: str, item: TaskItem) -> Markup:
    """The tick button of one item (inside the item's <label>, which names it) and its words."""
    wanted = "0" if item.checked else "1"
    return Markup(
        '<button type="submit" name="tick" value="{field}:{index}:{wanted}" class="task-toggle" '
        'role="checkbox" aria-checked="{checked}" id="tick-{field}-{index}">'
        '<span class="task-box" aria-hidden="true"></span></button>'
        '<input type="hidden" name="text-{field}-{index}" value="{words}">'
    ).format(field=field, index=item.index, wanted=wanted,
             checked="true" if item.checked else "false", words=item.text)


@dataclass(frozen=True)
class ChecklistText:
    html: Markup
    editable: bool


@bp.app_template_global("plan_text")
def plan_text(plan: Plan, field: str) -> ChecklistText:
    """A plan's objectives or text for its page, with tick buttons when the reader may edit."""
    source = getattr(plan, field) or ""
    access = g.get("space")
    editable = bool(access and access.can(SpacePermission.EDIT_PLANS) and "[" in source)
    if not editable:
        return ChecklistText(render_markdown(source), False)
    html = render_markdown(source, task_control=lambda item: _control(field, item))
    return ChecklistText(html, "task-toggle" in html)


def _answer(plan: Plan, message: str, category: str, status: int, anchor: str = "",
            **extra: Any):  # type: ignore[no-untyped-def]
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"message": message, **extra}), status
    flash(message, category)
    target = url_for(".plan", space_id=plan.space_id, plan_id=plan.id)
    return redirect(f"{target}#{anchor}" if anchor else target, code=303)


@bp.post("/<int:space_id>/plans/<int:plan_id>/checklist")
@requires(SpacePermission.EDIT_PLANS)
def tick(space_id: int, plan_id: int):
    """Tick or untick one checklist item of the plan (a revision of its own)."""
    plan = load_plan(g.space, plan_id)
    if not FlaskForm().validate_on_submit():
        abort(400, "The form expired: reload the plan and tick again.")
    match = _TICK.fullmatch(request.form.get("tick", ""))
    if match is None:
        abort(400, "The form did not say which checklist item to tick.")
    field, index, checked = match.group(1), int(match.group(2)), match.group(3) == "1"
    words = request.form.get(f"text-{field}-{index}", "")
    if len(words) > WORDS_MAX_CHARS or "\x00" in words:
        abort(400, "The checklist item's text is not one this plan could hold.")
    try:
        done = services.tick(plan, g.ctx.person, field, index, words, checked)
    except services.ChecklistItemGoneError:
        return _answer(plan, f"“{words}” is no longer in this plan: a colleague changed it. "
                       "Here it is as it is now.", "error", 409)
    except services.StaleVersionError:
        return _answer(plan, "Colleagues are saving this plan right now: nothing was ticked. "
                       "Please try again.", "error", 409)
    verb = "Ticked" if checked else "Unticked"
    if done.changed:
        message = f"{verb} “{done.item.text}” (saved as version {done.version})."
    else:
        message = f"“{done.item.text}” was already {'ticked' if checked else 'unticked'}."
    return _answer(
        plan, message, "success", 200, anchor=f"tick-{field}-{done.item.index}",
        checked=checked, version=done.version, changed=done.changed,
        next=f"{field}:{done.item.index}:{'0' if checked else '1'}",
    )
