"""Plans: starting one from a template, reading, editing (with conflicts merged), archiving,
printing and exporting."""

from __future__ import annotations

from typing import Any

from flask import (
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from lti_tool.boundaries import parse_id
from lti_tool.courses.models import Course
from lti_tool.courses.policy import requires
from lti_tool.extensions import db
from lti_tool.planning import diff, services
from lti_tool.planning.builtin_templates import BUILTIN_TEMPLATES, BY_KEY
from lti_tool.planning.forms import (
    KIND_LABELS,
    PlanForm,
    TemplateForm,
)
from lti_tool.planning.models import Plan, PlanKind, SpaceKind
from lti_tool.planning.policy import SpacePermission, load_plan
from lti_tool.planning.views import _space, bp

# --- plans ----------------------------------------------------------------------------------


def _form_choices(plan: Plan | None = None) -> dict[str, Any]:
    space = _space()
    return {
        "units": services.units_of(space, exclude_id=plan.id if plan else None),
        "courses": [] if space.kind == SpaceKind.COURSE else services.staff_courses_of(
            g.ctx.person
        ),
    }


def _fixed_course_id() -> int | None:
    space = _space()
    return space.course_id if space.kind == SpaceKind.COURSE else None


def _template_start(key: str) -> dict[str, Any] | None:
    """Initial form values for ``builtin:<key>``, ``space:<id>`` or ``blank:<kind>``."""
    source, _, name = key.partition(":")
    if source == "builtin" and name in BY_KEY:
        t = BY_KEY[name]
        return {"kind": t.kind.value, "objectives": t.objectives, "body": t.body}
    if source == "space" and (template_id := parse_id(name)) is not None:
        saved = services.get_space_template(_space(), template_id)
        if saved is not None:
            return {"kind": saved.kind, "objectives": saved.objectives, "body": saved.body}
    if source == "blank" and name in {k.value for k in PlanKind}:
        return {"kind": name}
    return None


def _draft_offer(draft_key: str) -> Any:
    return services.get_draft(g.ctx.person, _space(), draft_key)


def _draft_formdata(draft: Any) -> MultiDict:
    data = dict(draft.data)
    data["version"] = "" if draft.base_version is None else str(draft.base_version)
    data["draft_key"] = draft.plan_key
    return MultiDict(data)


@bp.route("/<int:space_id>/plans/new", methods=["GET", "POST"])
@requires(SpacePermission.EDIT_PLANS)
def new_plan(space_id: int):
    """Start a plan from a template (built-in or the space's own); without one, choose."""
    space = _space()
    choices = _form_choices()
    if request.method == "POST":
        form = PlanForm(**choices)
        if form.validate_on_submit():
            draft_key = form.draft_key.data or ""
            plan = services.create_plan(
                space, g.ctx.person, form.plan_data(_fixed_course_id()),
                draft_key=draft_key if draft_key.startswith("new-") else None,
            )
            flash(f"“{plan.title}” is created.", "success")
            return redirect(url_for(".plan", space_id=space.id, plan_id=plan.id,
                                    saved=draft_key or None), code=303)
        return _edit_page(form, plan=None, draft=None), 422

    start = _template_start(request.args.get("template", ""))
    if start is None:
        return render_template(
            "planning/choose_template.html", space=space, builtins=BUILTIN_TEMPLATES,
            saved=services.space_templates(space), parent=request.args.get("parent", ""),
            kinds=KIND_LABELS, nav="home",
        )
    draft_key = f"new-{start['kind']}"
    draft = _draft_offer(draft_key)
    if draft is not None and request.args.get("draft") == "restore":
        form = PlanForm(formdata=_draft_formdata(draft), **choices)
        return _edit_page(form, plan=None, draft=None, restored=draft)
    parent = request.args.get("parent", "")
    form = PlanForm(formdata=None, data={**start, "parent_id": parent, "draft_key": draft_key},
                    **choices)
    return _edit_page(form, plan=None, draft=draft)


# The query parameters a plan form page reads; any other is not carried into its links.
_FORM_PAGE_ARGS = ("template", "parent")


def _edit_page(form: PlanForm, plan: Plan | None, draft: Any, restored: Any = None,
               conflict: dict[str, Any] | None = None) -> str:
    return render_template(
        "planning/plan_form.html",
        space=_space(),
        plan=plan,
        form=form,
        draft=draft,
        restored=restored,
        conflict=conflict,
        fixed_course=_fixed_course_id() is not None,
        body_limit=services.BODY_MAX_CHARS,
        restore_url=url_for(
            request.endpoint or ".space", **(request.view_args or {}),
            **{k: v for k, v in request.args.items() if k in _FORM_PAGE_ARGS},
            draft="restore",
        ),
        nav="plan",
    )


def _plan_page(plan: Plan, template_form: TemplateForm | None = None) -> str:
    lessons = services.lesson_rows(plan) if plan.kind == PlanKind.UNIT else []
    parent = load_plan(g.space, plan.parent_id) if plan.parent_id else None
    people = services.people_by_id([plan.created_by_id, plan.updated_by_id])
    saved = request.args.get("saved", "")
    course = db.session.get(Course, plan.course_id) if plan.course_id else None
    return render_template(
        "planning/plan.html",
        course=course,
        space=_space(),
        plan=plan,
        parent=parent,
        lessons=lessons,
        people=people,
        template_form=template_form or TemplateForm(formdata=None),
        button_form=FlaskForm(),
        cleared_draft=saved if services.DRAFT_KEY.match(saved) else None,
        nav="plan",
    )


@bp.get("/<int:space_id>/plans/<int:plan_id>")
@requires(SpacePermission.VIEW)
def plan(space_id: int, plan_id: int):
    return _plan_page(load_plan(g.space, plan_id))


@bp.route("/<int:space_id>/plans/<int:plan_id>/edit", methods=["GET", "POST"])
@requires(SpacePermission.EDIT_PLANS)
def edit_plan(space_id: int, plan_id: int):
    """Edit a plan; a save from a version that has since moved on is refused (409) and merged."""
    plan = load_plan(g.space, plan_id)
    choices = _form_choices(plan)
    draft_key = f"plan-{plan.id}"
    if request.method == "POST":
        form = PlanForm(**choices)
        base_version = form.base_version()
        if base_version is None or base_version > plan.version:
            abort(400, "The form did not say which version of the plan it was edited from.")
        if form.validate_on_submit():
            try:
                version = services.save_plan(
                    plan, g.ctx.person, base_version, form.plan_data(_fixed_course_id())
                )
            except services.StaleVersionError:
                return _conflict_page(plan, form, base_version), 409
            flash(f"Saved as version {version}.", "success")
            return redirect(url_for(".plan", space_id=space_id, plan_id=plan.id,
                                    saved=draft_key), code=303)
        return _edit_page(form, plan=plan, draft=None, conflict=_merge_review(plan, form)), 422

    draft = _draft_offer(draft_key)
    if draft is not None and request.args.get("draft") == "restore":
        form = PlanForm(formdata=_draft_formdata(draft), **choices)
        if (draft.base_version or 0) != plan.version:
            flash("Your restored changes were made on an older version: when you save, "
                  "Staffroom will show what changed since and help you merge.", "info")
        return _edit_page(form, plan=plan, draft=None, restored=draft)
    data = {
        "title": plan.title, "kind": plan.kind, "starts_on": plan.starts_on,
        "ends_on": plan.ends_on, "course_id": str(plan.course_id or ""),
        "parent_id": str(plan.parent_id or ""), "objectives": plan.objectives,
        "tags": plan.tags, "body": plan.body, "version": str(plan.version),
        "draft_key": draft_key,
    }
    form = PlanForm(formdata=None, data=data, **choices)
    return _edit_page(form, plan=plan, draft=draft)


def _conflict_page(plan: Plan, form: PlanForm, base_version: int) -> str:
    """Both texts and a merge: theirs as a diff, mine untouched, the merge in the form."""
    db.session.refresh(plan)
    base = services.get_revision(plan, base_version)
    if base is None:
        abort(400)
    mine = form.plan_data(_fixed_course_id())
    theirs_label = f"saved by {_last_editor_name(plan)} (version {plan.version})"
    body = diff.merge3(base.body, plan.body, mine.body, theirs_label, "your version")
    objectives = diff.merge3(base.objectives, plan.objectives, mine.objectives,
                             theirs_label, "your version")
    scalar_conflicts = []
    for name, label in (("title", "Title"), ("tags", "Standards and tags"),
                        ("starts_on", "Starts on"), ("ends_on", "Ends on")):
        value, conflicted = diff.merge_value(getattr(base, name), getattr(plan, name),
                                             getattr(mine, name))
        field = getattr(form, name)
        field.data = value
        field.raw_data = None
        if conflicted:
            scalar_conflicts.append((label, getattr(plan, name)))
    form.body.data = body.text
    form.objectives.data = objectives.text
    form.version.data = str(plan.version)
    form.merged_from.data = str(base_version)
    conflict = _conflict_panel(plan, base, conflicts=body.conflicts + objectives.conflicts,
                               scalar_conflicts=scalar_conflicts, mine=mine)
    return _edit_page(form, plan=plan, draft=None, conflict=conflict)


def _merge_review(plan: Plan, form: PlanForm) -> dict[str, Any] | None:
    """For a refused save of a merge: what the colleague changed, shown again.

    The form keeps what the teacher typed (the merge, as they left it); only the
    panel is rebuilt from the version their edit started from.
    """
    merged_from = form.merged_from_version()
    if merged_from is None or merged_from >= plan.version:
        return None
    base = services.get_revision(plan, merged_from)
    if base is None:
        return None
    body, objectives = form.body.data or "", form.objectives.data or ""
    return _conflict_panel(plan, base, conflicts=diff.count_conflicts(body)
                           + diff.count_conflicts(objectives))


def _last_editor_name(plan: Plan) -> str:
    other = services.people_by_id([plan.updated_by_id]).get(plan.updated_by_id or 0)
    return other.display_name if other else "a colleague"


def _conflict_panel(plan: Plan, base: Any, *, conflicts: int,
                    scalar_conflicts: list[tuple[str, Any]] | None = None,
                    mine: Any = None) -> dict[str, Any]:
    return {
        "other_name": _last_editor_name(plan),
        "current_version": plan.version,
        "base_version": base.version,
        "body_diff": diff.line_diff(base.body, plan.body),
        "objectives_diff": diff.line_diff(base.objectives, plan.objectives),
        "conflicts": conflicts,
        "scalar_conflicts": scalar_conflicts or [],
        "mine": mine,
    }


@bp.post("/<int:space_id>/plans/<int:plan_id>/archive")
@requires(SpacePermission.EDIT_PLANS)
def archive(space_id: int, plan_id: int):
    plan = load_plan(g.space, plan_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    archived = request.form.get("archived") == "1"
    services.set_archived(plan, archived)
    flash(f"“{plan.title}” is {'archived' if archived else 'back in the space'}.", "success")
    return redirect(url_for(".plan", space_id=space_id, plan_id=plan.id), code=303)


# --- print and export -----------------------------------------------------------------------


@bp.get("/<int:space_id>/plans/<int:plan_id>/print")
@requires(SpacePermission.VIEW)
def print_plan(space_id: int, plan_id: int):
    """A unit with its lessons (or any plan) laid out for paper."""
    plan = load_plan(g.space, plan_id)
    lessons = services.lessons_of(plan) if plan.kind == PlanKind.UNIT else []
    return render_template("planning/print.html", space=_space(), plan=plan, lessons=lessons)


@bp.get("/<int:space_id>/plans/<int:plan_id>/export.md")
@requires(SpacePermission.VIEW)
def export(space_id: int, plan_id: int):
    """The plan (a unit: with its lessons) as a Markdown file to download."""
    plan = load_plan(g.space, plan_id)
    lessons = services.lessons_of(plan) if plan.kind == PlanKind.UNIT else []
    filename = services.slugify(plan.title, f"plan-{plan.id}") + ".md"
    return Response(
        services.export_markdown(plan, lessons),
        mimetype="text/markdown",
        headers={"Content-Disposition": f"attachment; filename={filename}"},
    )


