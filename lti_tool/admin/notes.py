"""Notes about learners on the admin page: the audit log, and one learner's data
(export as JSON or a printable PDF, erasure on request).

Routes added to the admin blueprint (its ``before_request`` already requires a
logged-in administrator). Administrators never browse notes here: they read the audit
log (which holds no note text), and they export or erase everything about one learner
they searched for, which is itself written to the audit log.
"""

from __future__ import annotations

import json

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf import FlaskForm
from wtforms import StringField

from lti_tool.admin.views import bp
from lti_tool.boundaries import parse_id
from lti_tool.courses.models import Person
from lti_tool.extensions import db
from lti_tool.lti import registrations
from lti_tool.notes import audit, services
from lti_tool.notes.audit import Actor, AuditFilter
from lti_tool.notes.models import CATEGORY_LABELS, Action, Category
from lti_tool.observations.export import _font_path, _Pdf

AUDIT_SECTION = "admin.notes_audit"


class EraseForm(FlaskForm):
    confirm = StringField("Type the learner's name to confirm")


def _actor() -> Actor:
    return Actor.admin(g.admin.id, g.admin.username)


def _learner(learner_id: int) -> Person:
    learner = db.session.get(Person, learner_id) if 0 < learner_id < 2**31 else None
    if learner is None:
        abort(404)
    return learner


@bp.get("/notes-audit")
def notes_audit():
    args = request.args
    action = args.get("action", "")
    where = AuditFilter(
        action=action if action in set(Action) else "", actor=args.get("actor", "")[:100],
        learner_id=parse_id(args.get("learner", "")), note_id=parse_id(args.get("note", "")),
        course_id=parse_id(args.get("course", "")))
    page = parse_id(args.get("page", "1")) or 1
    page = min(page, 100_000)
    lines, more = audit.entries(where, page)
    names = services.people_by_id([line.learner_id for line in lines])
    courses = services.course_titles([line.course_id for line in lines])
    return render_template("admin/notes_audit.html", lines=lines, more=more, page=page,
                           where=where, actions=list(Action), names=names, courses=courses,
                           retention_days=int(current_app.config["NOTES_RETENTION_DAYS"]))


@bp.get("/learners")
def learner_data():
    g.admin_section = AUDIT_SECTION
    query = request.args.get("q", "")[:100]
    found = services.learner_search(None, query) if query else []
    platforms = {p.id: p.name for p in registrations.list_platforms()}
    return render_template("admin/notes_learners.html", query=query, found=found,
                           platforms=platforms, button_form=FlaskForm())


@bp.get("/learners/<int:learner_id>/export.json")
def learner_export_json(learner_id: int):
    learner = _learner(learner_id)
    data = services.export_learner(learner)
    audit.record(_actor(), Action.EXPORT, platform_id=learner.platform_id,
                 learner_id=learner.id, detail="JSON")
    db.session.commit()
    return Response(json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json",
                    headers={"Content-Disposition":
                             f'attachment; filename="learner-{learner.id}.json"'})


def _pdf(data: dict) -> bytes:
    pdf = _Pdf(_font_path(None))
    learner = data["learner"]
    pdf.set_title(pdf.text_of(f"Staffroom data about {learner['name'] or learner['sub']}"))
    pdf.set_author("Staffroom")
    pdf.add_page()
    pdf.para("Confidential: everything Staffroom holds about one learner", 8.5)
    pdf.heading(f"{learner['name'] or learner['sub']}", 16)
    pdf.para(f"LMS user id: {learner['sub']}   Email: {learner['email'] or '-'}")
    pdf.para(f"Exported: {data['exported_at']} (UTC)")
    pdf.heading("Courses")
    for course in data["courses"]:
        state = "active" if course["active"] else "no longer in the course"
        pdf.para(f"- {course['title']} ({course['roles'] or 'no role'}; {state})")
    pdf.heading(f"Notes ({len(data['notes'])})")
    for note in data["notes"]:
        label = CATEGORY_LABELS.get(Category(note["category"]), note["category"]) if (
            note["category"] in set(Category)) else note["category"]
        deleted = f", deleted {note['deleted_at']}" if note["deleted_at"] else ""
        pdf.para(f"{label}{' (key note)' if note['is_key'] else ''} by "
                 f"{note['author'] or 'a former colleague'}, {note['created_at']}; "
                 f"visibility {note['visibility']}; version {note['version']}{deleted}", 10,
                 bold=True)
        pdf.para(note["body"])
        for version in note["versions"][:-1]:
            pdf.para(f"  Version {version['number']} by {version['saved_by'] or '-'}, "
                     f"{version['saved_at']}: {version['body']}", 9)
        for task in note["follow_ups"]:
            pdf.para(f"  Follow-up: {task['title']} ({task['status']}; "
                     f"{task['owner'] or 'no owner'}; due {task['due_on'] or '-'})", 9)
        for reply in note["replies"]:
            pdf.para(f"  Reply by {reply['author'] or '-'}, {reply['created_at']}: "
                     f"{reply['body']}", 9)
        pdf.ln(2)
    pdf.heading(f"Audit log ({len(data['audit'])} lines)")
    for line in data["audit"]:
        pdf.para(f"{line['at']}  {line['action']}  {line['actor_name']}  note "
                 f"{line['note_id'] or '-'}  course {line['course_id'] or '-'}  "
                 f"{line['detail']}", 8.5)
    if pdf.lossy:
        pdf.para("Some characters could not be shown in this PDF (no Unicode font on the "
                 "server); the JSON export has them all.", 8.5)
    return bytes(pdf.output())


@bp.get("/learners/<int:learner_id>/export.pdf")
def learner_export_pdf(learner_id: int):
    learner = _learner(learner_id)
    body = _pdf(services.export_learner(learner))
    audit.record(_actor(), Action.EXPORT, platform_id=learner.platform_id,
                 learner_id=learner.id, detail="PDF")
    db.session.commit()
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="learner-{learner.id}.pdf"'})


@bp.route("/learners/<int:learner_id>/erase", methods=["GET", "POST"])
def learner_erase(learner_id: int):
    g.admin_section = AUDIT_SECTION
    learner = _learner(learner_id)
    form = EraseForm()
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        typed = (form.confirm.data or "").strip().casefold()
        if typed and typed == learner.display_name.strip().casefold():
            count = services.erase_learner(learner, _actor())
            flash(f"Erased {count} note(s) about {learner.display_name}. The erasure is in "
                  "the audit log.", "success")
            return redirect(url_for("admin.learner_data"), code=303)
        form.confirm.errors = ["Type the learner's name exactly as shown"]
        status = 422
    return render_template("admin/notes_erase.html", learner=learner, form=form), status
