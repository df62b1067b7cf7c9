"""Planning views: ``/courses/<course_id>/spaces/…`` (nested in the course blueprint).

The course blueprint has already refused anyone who is not active staff of
the course in the URL, and ``load_space_from_request`` has put the person's
:class:`~lti_tool.planning.policy.SpaceAccess` in ``g.space`` (or answered 404)
for every URL with a ``space_id``. Views here only *state* the permission they
need, with :func:`require`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from lti_tool.courses.models import Course
from lti_tool.extensions import db
from lti_tool.planning import diff, services
from lti_tool.planning.builtin_templates import BUILTIN_TEMPLATES, BY_KEY
from lti_tool.planning.forms import (
    KIND_LABELS,
    InviteForm,
    PlanForm,
    SpaceForm,
    StrengthsForm,
    TemplateForm,
)
from lti_tool.planning.markdown import render as render_markdown
from lti_tool.planning.models import Plan, PlanKind, SpaceKind, SpaceMember
from lti_tool.planning.policy import (
    SpacePermission,
    load_invitation,
    load_plan,
    load_space_from_request,
    require,
)

bp = Blueprint("planning", __name__, url_prefix="/spaces")
bp.before_request(load_space_from_request)


@bp.app_template_filter("markdown")
def markdown_filter(text: str | None, heading_offset: int = 0):  # type: ignore[no-untyped-def]
    return render_markdown(text or "", heading_offset)


@bp.context_processor
def planning_globals() -> dict[str, Any]:
    return {"kind_labels": KIND_LABELS, "ctx": g.get("ctx"), "access": g.get("space")}


def _space():  # type: ignore[no-untyped-def]
    return g.space.space


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
def space(space_id: int):
    """The space's home: units with their lessons, meetings, cycles and notes."""
    require(g.space, SpacePermission.VIEW)
    return render_template(
        "planning/space.html",
        space=_space(),
        overview=services.space_overview(_space()),
        nav="home",
    )


@bp.route("/<int:space_id>/members", methods=["GET", "POST"])
def members(space_id: int):
    """Who is in the space, their strengths, open invitations; owners invite from here."""
    require(g.space, SpacePermission.VIEW)
    space = _space()
    strengths_form = StrengthsForm(
        prefix="profile", strengths=g.space.member.strengths if g.space.member else ""
    )
    invite_form = InviteForm(prefix="invite")
    space_form = SpaceForm(prefix="space", obj=space)
    status = 200
    if request.method == "POST":
        action = request.form.get("action")
        if action == "profile" and strengths_form.validate_on_submit():
            services.save_strengths(space, g.ctx.person, strengths_form.strengths.data)
            flash("Your strengths are saved.", "success")
            return redirect(url_for(".members", space_id=space.id), code=303)
        if action == "invite":
            require(g.space, SpacePermission.MANAGE_MEMBERS)
            if space.kind != SpaceKind.TEAM:
                abort(400)
            if invite_form.validate_on_submit():
                try:
                    invited = services.invite(space, g.ctx.person, invite_form.person_ids.data)
                except services.UnknownPersonError as exc:
                    invite_form.person_ids.errors = [str(exc)]
                else:
                    names = ", ".join(p.display_name for p in invited)
                    flash(f"Invited: {names}. They will see the invitation in Staffroom.",
                          "success")
                    return redirect(url_for(".members", space_id=space.id), code=303)
        if action == "details":
            require(g.space, SpacePermission.MANAGE_MEMBERS)
            if space_form.validate_on_submit():
                services.update_space(space, space_form.name.data, space_form.description.data)
                flash("The space's details are saved.", "success")
                return redirect(url_for(".members", space_id=space.id), code=303)
        if action not in ("profile", "invite", "details"):
            abort(400)
        status = 422
    can_manage = g.space.can(SpacePermission.MANAGE_MEMBERS) and space.kind == SpaceKind.TEAM
    return render_template(
        "planning/members.html",
        space=space,
        members=services.members_of(space),
        invitations=services.pending_invitations(space) if space.kind == SpaceKind.TEAM else [],
        invitable=services.invitable_people(space, g.ctx.person) if can_manage else [],
        can_manage=can_manage,
        strengths_form=strengths_form,
        invite_form=invite_form,
        space_form=space_form,
        button_form=FlaskForm(),
        nav="members",
    ), status


@bp.post("/<int:space_id>/members/<int:member_id>/remove")
def remove_member(space_id: int, member_id: int):
    """An owner takes a member (or an open invitation) out of a team space."""
    require(g.space, SpacePermission.MANAGE_MEMBERS)
    if not FlaskForm().validate_on_submit():
        abort(400)
    member = _team_member(member_id)
    if member.person_id == g.ctx.person.id:
        abort(400)  # owners leave with "Leave this space"
    services.remove_member(_space(), member)
    flash("The member was removed. What they wrote stays in the space.", "success")
    return redirect(url_for(".members", space_id=space_id), code=303)


@bp.post("/<int:space_id>/leave")
def leave(space_id: int):
    """A member leaves a team space (course spaces follow the course roster)."""
    require(g.space, SpacePermission.VIEW)
    if not FlaskForm().validate_on_submit():
        abort(400)
    if _space().kind != SpaceKind.TEAM or g.space.member is None:
        abort(400)
    services.leave(_space(), g.space.member)
    flash(f"You left “{_space().name}”. What you wrote stays with the team.", "success")
    return redirect(url_for(".index"), code=303)


def _team_member(member_id: int) -> SpaceMember:
    member = db.session.get(SpaceMember, member_id)
    if member is None or member.space_id != _space().id or member.status not in (
        "active", "invited"
    ):
        abort(404)
    return member


# --- templates ------------------------------------------------------------------------------


@bp.get("/<int:space_id>/templates")
def templates(space_id: int):
    require(g.space, SpacePermission.VIEW)
    return render_template(
        "planning/templates.html",
        space=_space(),
        builtins=BUILTIN_TEMPLATES,
        saved=services.space_templates(_space()),
        button_form=FlaskForm(),
        nav="templates",
    )


@bp.post("/<int:space_id>/templates/<int:template_id>/delete")
def delete_template(space_id: int, template_id: int):
    require(g.space, SpacePermission.MANAGE_TEMPLATES)
    if not FlaskForm().validate_on_submit():
        abort(400)
    template = services.get_space_template(_space(), template_id)
    if template is None:
        abort(404)
    services.delete_template(template)
    flash(f"The template “{template.name}” was deleted. Plans made from it are unchanged.",
          "success")
    return redirect(url_for(".templates", space_id=space_id), code=303)


@bp.post("/<int:space_id>/plans/<int:plan_id>/save-template")
def save_template(space_id: int, plan_id: int):
    """Keep this plan's shape as a template of the space."""
    require(g.space, SpacePermission.MANAGE_TEMPLATES)
    plan = load_plan(g.space, plan_id)
    form = TemplateForm()
    if form.validate_on_submit():
        services.save_as_template(_space(), g.ctx.person, plan, form.name.data)
        flash(f"Saved as the template “{form.name.data}”.", "success")
        return redirect(url_for(".templates", space_id=space_id), code=303)
    return _plan_page(plan, template_form=form), 422


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
    if source == "space" and name.isdigit():
        saved = services.get_space_template(_space(), int(name))
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
def new_plan(space_id: int):
    """Start a plan from a template (built-in or the space's own); without one, choose."""
    require(g.space, SpacePermission.EDIT_PLANS)
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
    lessons = services.lessons_of(plan) if plan.kind == PlanKind.UNIT else []
    parent = services.get_plan(_space(), plan.parent_id) if plan.parent_id else None
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
def plan(space_id: int, plan_id: int):
    require(g.space, SpacePermission.VIEW)
    return _plan_page(load_plan(g.space, plan_id))


@bp.route("/<int:space_id>/plans/<int:plan_id>/edit", methods=["GET", "POST"])
def edit_plan(space_id: int, plan_id: int):
    """Edit a plan; a save from a version that has since moved on is refused (409) and merged."""
    require(g.space, SpacePermission.EDIT_PLANS)
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
def archive(space_id: int, plan_id: int):
    require(g.space, SpacePermission.EDIT_PLANS)
    plan = load_plan(g.space, plan_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    archived = request.form.get("archived") == "1"
    services.set_archived(plan, archived)
    flash(f"“{plan.title}” is {'archived' if archived else 'back in the space'}.", "success")
    return redirect(url_for(".plan", space_id=space_id, plan_id=plan.id), code=303)


# --- history --------------------------------------------------------------------------------


@bp.get("/<int:space_id>/plans/<int:plan_id>/history")
def history(space_id: int, plan_id: int):
    require(g.space, SpacePermission.VIEW)
    plan = load_plan(g.space, plan_id)
    revisions = services.revisions_of(plan)
    return render_template(
        "planning/history.html", space=_space(), plan=plan, revisions=revisions,
        people=services.people_by_id(r.author_id for r in revisions), nav="plan",
    )


@bp.get("/<int:space_id>/plans/<int:plan_id>/history/<int:version>")
def revision(space_id: int, plan_id: int, version: int):
    """One revision, as the changes it made to the one before it."""
    require(g.space, SpacePermission.VIEW)
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
def restore(space_id: int, plan_id: int, version: int):
    require(g.space, SpacePermission.EDIT_PLANS)
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


# --- print and export -----------------------------------------------------------------------


@bp.get("/<int:space_id>/plans/<int:plan_id>/print")
def print_plan(space_id: int, plan_id: int):
    """A unit with its lessons (or any plan) laid out for paper."""
    require(g.space, SpacePermission.VIEW)
    plan = load_plan(g.space, plan_id)
    lessons = services.lessons_of(plan) if plan.kind == PlanKind.UNIT else []
    return render_template("planning/print.html", space=_space(), plan=plan, lessons=lessons)


@bp.get("/<int:space_id>/plans/<int:plan_id>/export.md")
def export(space_id: int, plan_id: int):
    """The plan (a unit: with its lessons) as a Markdown file to download."""
    require(g.space, SpacePermission.VIEW)
    plan = load_plan(g.space, plan_id)
    lessons = services.lessons_of(plan) if plan.kind == PlanKind.UNIT else []
    filename = services.slugify(plan.title, f"plan-{plan.id}") + ".md"
    return Response(
        services.export_markdown(plan, lessons),
        mimetype="text/markdown",
        headers={"Content-Disposition": f"attachment; filename={filename}"},
    )


# --- drafts (autosave) ----------------------------------------------------------------------


@bp.post("/<int:space_id>/drafts")
def save_draft(space_id: int):
    """Autosave: upsert the teacher's draft of a plan form (JSON; CSRF in X-CSRFToken)."""
    require(g.space, SpacePermission.EDIT_PLANS)
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return jsonify(error="expected a JSON object"), 400
    plan_key = str(payload.get("plan_key", ""))
    if not services.DRAFT_KEY.match(plan_key):
        return jsonify(error="unknown plan_key"), 400
    if plan_key.startswith("plan-"):
        load_plan(g.space, int(plan_key.removeprefix("plan-")))
    base = payload.get("base_version")
    if base is not None and (not isinstance(base, int) or isinstance(base, bool)):
        return jsonify(error="base_version must be a number"), 400
    try:
        data = services.clean_draft_data(payload.get("data"))
        draft = services.save_draft(g.ctx.person, _space(), plan_key, base, data)
    except services.InvalidDraftError as exc:
        return jsonify(error=str(exc)), 400
    return jsonify(saved_at=_iso(draft.updated_at))


@bp.post("/<int:space_id>/drafts/discard")
def discard_draft(space_id: int):
    require(g.space, SpacePermission.EDIT_PLANS)
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


@bp.app_template_filter("iso_utc")
def iso_utc(moment: datetime | None) -> str:
    return _iso(moment) if moment else ""
