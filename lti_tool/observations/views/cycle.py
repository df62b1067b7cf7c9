"""The cycle: the list, starting an observation (either side), its page, its moves, the
focus, sharing with a colleague, and the observee's reflection."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from wtforms import SelectChoice

from lti_tool.courses.policy import Permission, requires
from lti_tool.observations import services
from lti_tool.observations.forms import (
    FocusForm,
    MoveForm,
    ReflectionForm,
    RequestForm,
    ShareForm,
    attach,
    version_number,
)
from lti_tool.observations.models import State
from lti_tool.observations.policy import (
    ACTION_LABELS,
    ObservationPermission,
    Role,
)
from lti_tool.observations.services import ObservationError, StaleVersionError
from lti_tool.observations.template_text import criteria as template_criteria
from lti_tool.observations.views import bp
from lti_tool.windows import parse_offsets

STALE_MESSAGE = ("{who} changed this observation while you were on the page. Nothing of "
                 "yours was saved yet: what you typed is below, next to what is there now.")


@bp.get("/")
@requires(Permission.VIEW_COURSE_DASHBOARD)
def index():
    """The observations of this course that the teacher may see, by where they stand, a
    window of each group at a time (``?done=20``)."""
    groups = services.course_observations(
        g.ctx.course, g.ctx.person, parse_offsets(request.args, services.LIST_GROUPS))
    return render_template("observations/index.html", groups=groups,
                           total=sum(group.total for group in groups.values()))


def _request_choices(form: RequestForm) -> None:
    person, course = g.ctx.person, g.ctx.course
    form.colleague_id.choices = [SelectChoice("", "Choose a colleague")] + [
        SelectChoice(str(p.id), p.display_name) for p in services.colleagues(course, person)]
    form.template_id.choices = [
        SelectChoice(str(r.template.id), f"{r.template.name} ({r.source})")
        for r in services.usable_templates(person)]
    form.lesson_id.choices = [SelectChoice("", "Not linked to a plan")] + [
        SelectChoice(str(info.subject.id), f"{info.title} ({info.context})")
        for info in services.linkable_lessons(person)]


@bp.route("/new", methods=["GET", "POST"])
@requires(Permission.VIEW_COURSE_DASHBOARD)
def new():
    """Either side starts: invite a colleague to observe me, or ask to observe a colleague."""
    form = RequestForm()
    _request_choices(form)
    general: list[str] = []
    if request.method == "GET":
        form.as_role.data = "observer" if request.args.get("as") == "observer" else "observee"
        # "Start an observation with this form", from a link placed in the LMS.
        asked = request.args.get("template", "")
        offered = [str(choice.value) for choice in form.template_id.choices]
        if asked in offered:
            form.template_id.data = asked
        elif offered:
            form.template_id.data = offered[0]
    elif form.validate_on_submit():
        ids = form.ids()
        data = services.RequestInput(
            as_role=form.as_role.data or "", colleague_id=ids["colleague_id"],
            template_id=ids["template_id"], lesson_title=form.lesson_title.data or "",
            lesson_id=ids["lesson_id"], scheduled_on=form.scheduled_on.data,
            message=form.message.data or "")
        try:
            observation = services.request_observation(g.ctx.course, g.ctx.person, data)
        except ObservationError as exc:
            general = attach(form, exc)
        else:
            other = (observation.observer_id if data.as_role == Role.OBSERVEE
                     else observation.observee_id)
            name = services.people_by_id([other])[other].display_name
            flash(f"Your request is sent to {name}. It waits in their “What's new”.", "success")
            return redirect(url_for(".view", observation_id=observation.id), code=303)
    elif form.csrf_token.errors:
        general = ["The form expired: please send it again (what you typed is still below)."]
    if form.scheduled_on.errors:
        form.scheduled_on.errors = ["Enter the date as year-month-day, for example 2026-03-31"]
    status = 422 if request.method == "POST" else 200
    return render_template("observations/new.html", form=form, general=general), status


def _page(*, reflection_form: ReflectionForm | None = None, share_form: ShareForm | None = None,
          conflict: str | None = None, status: int = 200) -> Any:
    access = g.observation
    observation = access.observation
    people = services.people_by_id([observation.observer_id, observation.observee_id,
                                    observation.shared_with_id, observation.requested_by_id])
    notes, ratings = (services.notes_and_ratings([observation.id])
                      if access.sees_feedback else ({}, {}))
    if reflection_form is None and access.can(ObservationPermission.REFLECT):
        reflection_form = ReflectionForm(formdata=None, data={
            "reflection": observation.reflection, "next_steps": observation.next_steps,
            "version": str(observation.version)})
    if share_form is None and access.can(ObservationPermission.SHARE):
        share_form = ShareForm(formdata=None, data={
            "colleague_id": str(observation.shared_with_id or ""),
            "version": str(observation.version)})
    if share_form is not None:
        share_form.colleague_id.choices = [SelectChoice("", "Nobody else")] + [
            SelectChoice(str(p.id), p.display_name)
            for p in services.colleagues(g.ctx.course, g.ctx.person)
            if p.id != observation.observer_id]
    structure = observation.template_version.structure
    return render_template(
        "observations/view.html",
        observation=observation,
        people=people,
        notes=notes.get(observation.id, []),
        ratings=ratings.get(observation.id, []),
        prompts=structure.get("prompts", []),
        focus=_focus_texts(observation),
        lesson=services.lesson_info(observation, g.ctx.person),
        moves=[(to, ACTION_LABELS[(observation.state, to)]) for to in access.moves()],
        move_form=MoveForm(formdata=None),
        reflection_form=reflection_form,
        share_form=share_form,
        conflict=conflict,
        task_lines=services.next_step_lines(observation.next_steps),
    ), status


def _focus_texts(observation) -> list[str]:  # type: ignore[no-untyped-def]
    chosen = set(observation.focus or [])
    texts = [c["text"] for _, c in template_criteria(observation.template_version.structure)
             if c["key"] in chosen]
    return texts + list(observation.plan_focus or [])


@bp.get("/<int:observation_id>")
@requires(ObservationPermission.VIEW)
def view(observation_id: int):
    return _page()


def _base_version(value: Any) -> int:
    base = version_number(value)
    if base is None:
        abort(400, "The form did not say which version of the observation it was made from.")
    return base


def _other_name() -> str:
    observation = g.observation.observation
    other = (observation.observee_id if g.observation.has(Role.OBSERVER)
             else observation.observer_id)
    person = services.people_by_id([other]).get(other or 0)
    return person.display_name if person else "Your colleague"


@bp.post("/<int:observation_id>/move")
@requires(ObservationPermission.VIEW)
def move(observation_id: int):
    """One step of the cycle, if the table allows this person to take it."""
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400)
    access = g.observation
    target = form.to.data or ""
    if target not in set(State):
        abort(400, "Unknown step.")
    if target not in access.moves():
        abort(403)
    try:
        observation = services.transition(access.observation, g.ctx.person, target,
                                          _base_version(form.version.data))
    except StaleVersionError:
        flash(f"{_other_name()} changed this observation while you were on the page: "
              "nothing was done. Check it and try again.", "error")
        return redirect(url_for(".view", observation_id=observation_id), code=303)
    except services.TransitionRefusedError:
        abort(403)
    messages = {
        State.SCHEDULED: "Accepted. The observee now chooses the focus of the lesson.",
        State.DECLINED: "Declined. Your colleague will see it.",
        State.CANCELLED: "The observation is cancelled.",
        State.IN_PROGRESS: "The form is open: your notes save as you type.",
        State.SHARED: "Shared with the observee. They can read it now.",
        State.REFLECTED: "Your reflection is submitted.",
        State.CLOSED: "The cycle is closed.",
    }
    flash(messages.get(State(target), "Done."), "success")
    if observation.state == State.IN_PROGRESS:
        return redirect(url_for(".lesson", observation_id=observation_id), code=303)
    return redirect(url_for(".view", observation_id=observation_id), code=303)


@bp.route("/<int:observation_id>/focus", methods=["GET", "POST"])
@requires(ObservationPermission.CHOOSE_FOCUS)
def focus(observation_id: int):
    """Before the lesson, the observee chooses the look-fors (and the plan's objectives)."""
    access = g.observation
    observation = access.observation
    offered = services.plan_criteria(observation, g.ctx.person)
    every = template_criteria(observation.template_version.structure)
    if request.method == "GET":
        form = FocusForm(formdata=None, data={
            "lesson_title": observation.lesson_title, "scheduled_on": observation.scheduled_on,
            "focus": list(observation.focus or []), "plan_focus": list(observation.plan_focus
                                                                       or []),
            "focus_note": observation.focus_note, "version": str(observation.version)})
    else:
        form = FocusForm()
    form.focus.choices = [SelectChoice(c["key"], c["text"]) for _, c in every]
    form.plan_focus.choices = [SelectChoice(text, text) for text in offered]
    general: list[str] = []
    conflict = None
    if request.method == "POST":
        if form.validate_on_submit():
            data = services.FocusInput(
                focus=list(form.focus.data or []), plan_focus=list(form.plan_focus.data or []),
                focus_note=form.focus_note.data or "", lesson_title=form.lesson_title.data or "",
                scheduled_on=form.scheduled_on.data)
            try:
                services.save_focus(observation, g.ctx.person, data,
                                    _base_version(form.version.data), offered)
            except ObservationError as exc:
                general = attach(form, exc)
            except StaleVersionError as exc:
                conflict = STALE_MESSAGE.format(who=_other_name())
                form.version.data = str(exc.current_version)
            else:
                flash("The focus is saved. Your observer sees it now.", "success")
                return redirect(url_for(".view", observation_id=observation_id), code=303)
        elif form.csrf_token.errors:
            general = ["The form expired: please send it again (what you typed is still below)."]
        if form.scheduled_on.errors:
            form.scheduled_on.errors = ["Enter the date as year-month-day, for example "
                                        "2026-03-31"]
    status = 200 if request.method == "GET" else (409 if conflict else 422)
    fresh = services.people_by_id([observation.observer_id])
    return render_template(
        "observations/focus.html", observation=observation, form=form, general=general,
        conflict=conflict, sections=_sections(every), offered=offered,
        observer=fresh.get(observation.observer_id or 0),
    ), status


def _sections(every: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, list[dict[str, Any]]]]:
    grouped: list[tuple[str, list[dict[str, Any]]]] = []
    for section, criterion in every:
        if not grouped or grouped[-1][0] != section:
            grouped.append((section, []))
        grouped[-1][1].append(criterion)
    return grouped


@bp.post("/<int:observation_id>/share")
@requires(ObservationPermission.SHARE)
def share(observation_id: int):
    """The observee shows this one observation to one colleague, or to nobody again."""
    form = ShareForm()
    form.colleague_id.choices = []
    if not form.validate_on_submit():
        abort(400)
    raw = form.colleague_id.data or ""
    colleague_id = services.parse_id(raw)
    if raw and colleague_id is None:
        form.colleague_id.errors = ["Choose a colleague from the list"]
        return _page(share_form=form, status=422)
    try:
        colleague = services.share_with(g.observation.observation, g.ctx.person, g.ctx.course,
                                        colleague_id, _base_version(form.version.data))
    except ObservationError as exc:
        attach(form, exc)
        return _page(share_form=form, status=422)
    except StaleVersionError:
        flash("This observation changed while you were on the page: check who can see it "
              "and choose again.", "error")
        return redirect(url_for(".view", observation_id=observation_id), code=303)
    if colleague is None:
        flash("Only you and your observer can see this observation now.", "success")
    else:
        flash(f"{colleague.display_name} can now read this observation (and nobody else "
              "besides the two of you).", "success")
    return redirect(url_for(".view", observation_id=observation_id), code=303)


@bp.post("/<int:observation_id>/reflection")
@requires(ObservationPermission.REFLECT)
def reflection(observation_id: int):
    """The observee's reflection and next steps: saved, or submitted (the next steps
    become tasks in "My tasks")."""
    form = ReflectionForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
    submit = request.form.get("action") == "submit"
    try:
        observation = services.save_reflection(
            g.observation.observation, g.ctx.person, form.reflection.data or "",
            form.next_steps.data or "", _base_version(form.version.data), submit=submit)
    except ObservationError as exc:
        attach(form, exc)
        return _page(reflection_form=form, status=422)
    except StaleVersionError as exc:
        form.version.data = str(exc.current_version)
        return _page(reflection_form=form, conflict=STALE_MESSAGE.format(who=_other_name()),
                     status=409)
    if submit:
        count = len(services.next_step_lines(observation.next_steps))
        flash("Your reflection is submitted"
              + (f"; {count} next step{'s' if count != 1 else ''} added to “My tasks”."
                 if count else "."), "success")
    else:
        flash("Your reflection is saved. Submit it when it is ready.", "success")
    return redirect(url_for(".view", observation_id=observation_id), code=303)
