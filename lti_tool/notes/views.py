"""Notes views: ``/courses/<course_id>/notes/…`` (nested in the course blueprint).

The course blueprint has already refused anyone who is not active staff of the course
(learners get 403 on every URL here). Every note is loaded through
:func:`~lti_tool.notes.policy.load_note` (404 unless the rule admits the person), every
learner through :func:`~lti_tool.notes.policy.load_learner`, and every list filters
with the same rule inside its query. Each page that shows a note's text writes its
audit line before it is sent.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from lti_tool.boundaries import parse_id
from lti_tool.courses import registry
from lti_tool.courses.policy import Permission, requires
from lti_tool.courses.roster import roster_status
from lti_tool.markdown import render as render_markdown
from lti_tool.notes import audit, services
from lti_tool.notes.audit import Actor
from lti_tool.notes.forms import ButtonForm, NoteForm
from lti_tool.notes.models import (
    CATEGORY_LABELS,
    SENSITIVE,
    VISIBILITY_LABELS,
    Category,
    LearnerNote,
    Visibility,
)
from lti_tool.notes.policy import learner_audience, load_learner, load_note, may_edit

bp = Blueprint("notes", __name__, url_prefix="/notes")

SHARED_WARNING = ("You are making a private note visible to colleagues. Shared notes are "
                  "education records: the learner's family may ask to inspect them. Tick the "
                  "box to confirm.")
STALE_MESSAGE = ("{who} saved this note while you were editing it. Nothing of yours was "
                 "saved yet: what you typed is below; the note as it is now is shown above it.")


@bp.context_processor
def note_globals() -> dict[str, Any]:
    return {"ctx": g.get("ctx"), "categories": CATEGORY_LABELS, "sensitive": SENSITIVE,
            "visibilities": VISIBILITY_LABELS, "md": lambda text: render_markdown(text or ""),
            "note_subject": services.subject}


def _actor() -> Actor:
    return Actor.staff(g.ctx.person, g.ctx.course.id)


def _page_number() -> int:
    page = parse_id(request.args.get("page", "1"))
    return page if page is not None and page <= 100_000 else 1


@bp.get("/")
@requires(Permission.VIEW_COURSE_DASHBOARD)
def index():
    """The class list: every learner of the course with the counts of notes I may read."""
    show = request.args.get("show", "all")
    if show not in services.FILTERS:
        show = "all"
    query = request.args.get("q", "")[:100]
    listing = services.class_list(g.ctx.course, g.ctx.person, query=query, show=show,
                                  page=_page_number())
    return render_template("notes/index.html", listing=listing, show=show, query=query,
                           filters=services.FILTERS, roster=roster_status(g.ctx.course))


def _learner_ids(values: MultiDict) -> list[int]:
    ids = []
    for raw in values.getlist("learner")[: services.LEARNERS_MAX + 1]:
        learner_id = parse_id(raw)
        if learner_id is not None and learner_id not in ids:
            ids.append(learner_id)
    return ids


def _validate(form: NoteForm, staff_ids: set[int]) -> bool:
    errors = services.validate(form.data_input(), staff_ids)
    for name, message in errors.fields.items():
        getattr(form, name).errors = [*list(getattr(form, name).errors or []), message]
    if form.follow_up_due.errors:
        form.follow_up_due.errors = ["Enter the date as year-month-day, for example 2026-03-31"]
        return False
    return not errors


@bp.route("/new", methods=["GET", "POST"])
@requires(Permission.VIEW_COURSE_DASHBOARD)
def new():
    """A note about one learner, or the same note about several (after a group activity)."""
    ids = _learner_ids(request.values)
    if len(ids) > services.LEARNERS_MAX:
        abort(400, f"Choose at most {services.LEARNERS_MAX} learners at once.")
    learners = services.learners_in_course(g.ctx.course.id, ids)
    if not learners:
        flash("Choose the learners the note is about: tick them on the class list.", "error")
        return redirect(url_for(".index"), code=303)
    staff = services.course_staff(g.ctx.course.id)
    form = NoteForm()
    form.set_staff(staff)
    general: list[str] = []
    if request.method == "POST":
        if not form.validate_on_submit() and form.csrf_token.errors:
            general = ["The form expired: please save it again (what you typed is still below)."]
        elif _validate(form, {p.id for p in staff}):
            notes = services.create_notes(g.ctx.course, g.ctx.person, learners,
                                          form.data_input())
            if len(notes) == 1:
                flash(f"Note saved about {learners[0].display_name}.", "success")
                return redirect(url_for(".learner", learner_id=learners[0].id), code=303)
            flash(f"The note is saved about each of the {len(notes)} learners.", "success")
            return redirect(url_for(".index"), code=303)
    elif not form.category.data:
        form.category.data = str(Category.ACADEMIC)
    status = 422 if request.method == "POST" else 200
    return render_template("notes/form.html", form=form, learners=learners, note=None,
                           general=general), status


@bp.get("/learners/<int:learner_id>")
@requires(Permission.VIEW_COURSE_DASHBOARD)
def learner(learner_id: int):
    """A learner's profile: my courses with them, key notes first, the timeline."""
    person = g.ctx.person
    learner_row = load_learner(learner_id, person)
    category = request.args.get("category", "")
    if category not in set(Category):
        category = ""
    author_id = parse_id(request.args.get("author", ""))
    rows = services.timeline(learner_row.id, person, category=category, author_id=author_id)
    shown = [r.note for r in rows if not r.restricted]
    audit.note_read(_actor(), shown, "learner profile")
    return render_template(
        "notes/learner.html", learner=learner_row, rows=rows, category=category,
        author_id=author_id, authors=services.authors_of(learner_row.id, person),
        courses=services.my_courses_with(learner_row.id, person),
        audience=learner_audience(learner_row.id), open_form=ButtonForm(formdata=None))


def _note_page(note: LearnerNote, *, opened: bool, status: int = 200) -> Any:
    people = services.people_by_id([note.author_id, note.learner_id])
    readable = opened or not note.sensitive
    if readable:
        audit.note_read(_actor(), [note], "opened on purpose" if note.sensitive else "")
    subject = services.subject(note.id)
    return render_template(
        "notes/view.html", note=note, people=people, readable=readable, subject=subject,
        audience=[m.person for m in registry.audience(subject)],
        can_edit=may_edit(note, g.ctx.person), button_form=ButtonForm(formdata=None),
    ), status


@bp.get("/<int:note_id>")
@requires(Permission.VIEW_COURSE_DASHBOARD)
def view(note_id: int):
    return _note_page(load_note(note_id, g.ctx.person), opened=False)


@bp.post("/<int:note_id>/open")
@requires(Permission.VIEW_COURSE_DASHBOARD)
def open_note(note_id: int):
    """The deliberate click that shows a restricted note's text (and is audited)."""
    note = load_note(note_id, g.ctx.person)
    if not ButtonForm().validate_on_submit():
        abort(400, "The page expired: go back and open the note again.")
    return _note_page(note, opened=True)


def _own_note(note_id: int) -> LearnerNote:
    note = load_note(note_id, g.ctx.person)
    if not may_edit(note, g.ctx.person):
        abort(403, "Only the author of a note changes it: reply, or add a note of your own.")
    return note


@bp.route("/<int:note_id>/edit", methods=["GET", "POST"])
@requires(Permission.VIEW_COURSE_DASHBOARD)
def edit(note_id: int):
    """The author edits; a save from an older version is refused with the text given back."""
    note = _own_note(note_id)
    staff = services.course_staff(g.ctx.course.id)
    learners = [load_learner(note.learner_id, g.ctx.person)]
    if request.method == "GET":
        form = NoteForm(formdata=None, obj=note)
        form.version.data = str(note.version)
        form.set_staff(staff)
        audit.note_read(_actor(), [note], "opened to edit")
        return render_template("notes/form.html", form=form, learners=learners, note=note,
                               general=[])
    form = NoteForm()
    form.set_staff(staff)
    base = form.version.data or ""
    if not (base.isascii() and base.isdigit() and len(base) <= 9):
        abort(400, "The form did not say which version of the note it was edited from.")
    general: list[str] = []
    conflict = None
    status = 422
    if not form.validate_on_submit() and form.csrf_token.errors:
        general = ["The form expired: please save it again (what you typed is still below)."]
    elif _validate(form, {p.id for p in staff}):
        data = form.data_input()
        if (note.visibility == Visibility.ME and data.visibility != Visibility.ME
                and not form.confirm_shared.data):
            general = [SHARED_WARNING]
            form.confirm_shared.errors = ["Tick to confirm"]
        else:
            try:
                services.update_note(note, g.ctx.person, g.ctx.course.id, data, int(base))
            except services.StaleNoteError:
                current = load_note(note_id, g.ctx.person)
                form.version.data = str(current.version)
                conflict = current
                general = [STALE_MESSAGE.format(who="You (in another window) or someone")]
                audit.note_read(_actor(), [current], "shown in an edit conflict")
                status = 409
            else:
                flash("Note saved. The earlier version is kept in its history.", "success")
                return redirect(url_for(".view", note_id=note.id), code=303)
    return render_template("notes/form.html", form=form, learners=learners, note=note,
                           general=general, conflict=conflict), status


@bp.get("/<int:note_id>/history")
@requires(Permission.VIEW_COURSE_DASHBOARD)
def history(note_id: int):
    """Every saved version of the note: who saved what, and when."""
    note = load_note(note_id, g.ctx.person)
    if note.sensitive and not may_edit(note, g.ctx.person):
        # The history shows the text: for a restricted note, only through the logged click.
        return _note_page(note, opened=False)
    audit.note_read(_actor(), [note], "history")
    return render_template("notes/history.html", note=note,
                           versions=services.versions(note.id),
                           people=services.people_by_id([note.learner_id]))


@bp.route("/<int:note_id>/delete", methods=["GET", "POST"])
@requires(Permission.VIEW_COURSE_DASHBOARD)
def delete(note_id: int):
    note = _own_note(note_id)
    form = ButtonForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400, "The page expired: go back and delete the note again.")
        services.delete_note(note, g.ctx.person, g.ctx.course.id)
        flash("Note deleted. Nobody can read it now; it is removed for good after the "
              "school's retention period.", "success")
        return redirect(url_for(".learner", learner_id=note.learner_id), code=303)
    people = services.people_by_id([note.learner_id])
    return render_template("notes/delete.html", note=note, people=people, form=form)
