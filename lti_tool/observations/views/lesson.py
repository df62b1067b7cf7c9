"""During the lesson: the observer's form, its autosave, and "share with the observee".

The page works without script (one form, posted with "Save" or "Share"); with
``observations.js`` every change is saved as it is typed (JSON, CSRF token in the
``X-CSRFToken`` header) and a copy stays in the browser where it may keep one.
When the session has ended mid-lesson, the script saves through :mod:`.resume`
with the key the page carries, so that nothing typed is lost before the next launch.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, URLSafeTimedSerializer

from lti_tool.courses.models import Person
from lti_tool.courses.policy import requires
from lti_tool.dates import iso_utc
from lti_tool.db import utcnow
from lti_tool.observations import services
from lti_tool.observations.models import State
from lti_tool.observations.policy import ObservationAccess, ObservationPermission
from lti_tool.observations.services import ObservationError, StaleVersionError
from lti_tool.observations.views import bp

RESUME_SALT = "staffroom-observation-resume"


def resume_key(access: ObservationAccess, course_id: int) -> str:
    """A key for this form page alone: this person, this observation, this course."""
    serializer = URLSafeTimedSerializer(current_app.secret_key, salt=RESUME_SALT)
    return serializer.dumps({"o": access.observation.id, "p": access.person.id,
                             "c": course_id})


def read_resume_key(key: str, observation_id: int) -> tuple[int, int] | None:
    """(person id, course id) of a valid, unexpired key for this observation, or None."""
    serializer = URLSafeTimedSerializer(current_app.secret_key, salt=RESUME_SALT)
    max_age = int(current_app.config.get("PERMANENT_SESSION_LIFETIME", 28800)) + 4 * 3600
    try:
        data = serializer.loads(key, max_age=max_age)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("o") != observation_id:
        return None
    person_id, course_id = data.get("p"), data.get("c")
    if not isinstance(person_id, int) or not isinstance(course_id, int):
        return None
    return person_id, course_id


def _lesson_page(*, general: list[str] | None = None, conflict: bool = False,
                 posted: dict[str, Any] | None = None, status: int = 200) -> Any:
    access = g.observation
    observation = access.observation
    notes, ratings = services.notes_and_ratings([observation.id])
    people = services.people_by_id([observation.observee_id])
    prompts = observation.template_version.structure.get("prompts", [])
    return render_template(
        "observations/lesson.html",
        observation=observation,
        observee=people.get(observation.observee_id),
        notes=notes[observation.id],
        ratings=ratings[observation.id],
        prompts=prompts,
        answers=observation.answers or {},
        posted=posted,
        general=general or [],
        conflict=conflict,
        form=FlaskForm(formdata=None),
        resume_key=resume_key(access, g.ctx.course.id),
        storage_key=f"staffroom-observation:{access.person.id}:{observation.id}",
        note_max=services.NOTE_MAX,
    ), status


@bp.get("/<int:observation_id>/lesson")
@requires(ObservationPermission.VIEW)
def lesson(observation_id: int):
    """The form the observer fills in the lesson (once it is started)."""
    if not g.observation.can(ObservationPermission.FILL_FORM):
        flash("The form is open to the observer while the observation is in progress.", "info")
        return redirect(url_for(".view", observation_id=observation_id), code=303)
    return _lesson_page()


def posted_form(observation: Any, form: Any) -> dict[str, Any]:
    """The lesson form as posted without script, in the shape the autosave sends."""
    notes = []
    for key in form.getlist("note_key"):
        notes.append({"key": key, "tag": form.get(f"note-{key}-tag", "note"),
                      "body": form.get(f"note-{key}-body", ""),
                      "at": form.get(f"note-{key}-at", "")})
    new_body = form.get("new_note_body", "")
    if new_body.strip():
        notes.append({"key": form.get("new_note_key", "")[:40] or uuid.uuid4().hex[:16],
                      "tag": form.get("new_note_tag", "note"), "body": new_body,
                      "at": iso_utc(utcnow())})
    ratings = {
        r.criterion_key: {"rating": form.get(f"rating-{r.criterion_key}", ""),
                          "evidence": form.get(f"evidence-{r.criterion_key}", "")}
        for r in observation.ratings
    }
    prompts = observation.template_version.structure.get("prompts", [])
    answers = {p["key"]: form.get(f"answer-{p['key']}", "") for p in prompts}
    return {"notes": notes, "ratings": ratings, "answers": answers}


@bp.post("/<int:observation_id>/lesson")
@requires(ObservationPermission.FILL_FORM)
def save_lesson(observation_id: int):
    """Save the form (without script), and with "share", hand it to the observee."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    access = g.observation
    observation = access.observation
    payload = posted_form(observation, request.form)
    base = services.parse_id(request.form.get("version"))
    if base is None:
        abort(400, "The form did not say which version of the observation it was made from.")
    try:
        data = services.form_input(observation, payload)
        version = services.save_form(observation, g.ctx.person, data, base)
    except ObservationError as exc:
        return _lesson_page(general=[exc.message], posted=payload, status=422)
    except StaleVersionError:
        return _lesson_page(conflict=True, posted=payload, status=409)
    if request.form.get("action") == "share":
        fresh = services.transition(observation, g.ctx.person, State.SHARED, version)
        who = services.people_by_id([fresh.observee_id])[fresh.observee_id].display_name
        flash(f"Shared with {who}. They can read your feedback now.", "success")
        return redirect(url_for(".view", observation_id=observation_id, saved=1), code=303)
    flash("Saved.", "success")
    return redirect(url_for(".lesson", observation_id=observation_id), code=303)


def autosave(access: ObservationAccess, person: Person) -> Any:
    """The JSON autosave, for the session's endpoint and for the resume endpoint alike."""
    if not access.can(ObservationPermission.FILL_FORM):
        return jsonify(error="The form is closed: the observation is no longer in "
                             "progress."), 403
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return jsonify(error="Expected a JSON object."), 400
    base = payload.get("version")
    if not isinstance(base, int) or isinstance(base, bool) or not 0 < base < 2**31:
        return jsonify(error="The version must be a number."), 400
    try:
        data = services.form_input(access.observation, payload)
        version = services.save_form(access.observation, person, data, base)
    except ObservationError as exc:
        return jsonify(error=exc.message, field=exc.field), 400
    except StaleVersionError as exc:
        return jsonify(error="This observation was saved from another window meanwhile.",
                       current_version=exc.current_version), 409
    return jsonify(version=version, saved_at=iso_utc(utcnow()))


@bp.post("/<int:observation_id>/autosave")
@requires(ObservationPermission.VIEW)
def save_draft(observation_id: int):
    """Autosave of the lesson form (JSON; CSRF token in the X-CSRFToken header)."""
    return autosave(g.observation, g.ctx.person)
