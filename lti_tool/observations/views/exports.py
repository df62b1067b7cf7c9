"""Print, PDF (one observation), CSV and JSON (all of a teacher's own observations)."""

from __future__ import annotations

from flask import Response, current_app, g, render_template

from lti_tool.courses.policy import Permission, requires
from lti_tool.observations import export, services
from lti_tool.observations.policy import ObservationPermission
from lti_tool.observations.views import bp


def _download(body: str | bytes, mimetype: str, filename: str) -> Response:
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f"attachment; filename={filename}",
        "Cache-Control": "no-store",
    })


def _row() -> services.ObservationRow:
    observation = g.observation.observation
    people = services.people_by_id([observation.observer_id, observation.observee_id])
    observer = people.get(observation.observer_id or 0)
    return services.ObservationRow(
        observation, observer.display_name if observer else "A former colleague",
        people[observation.observee_id].display_name, observation.template_version.name)


@bp.get("/<int:observation_id>/print")
@requires(ObservationPermission.VIEW)
def print_view(observation_id: int):
    """The observation laid out for paper (the print stylesheet hides the rest)."""
    access = g.observation
    notes, ratings = (services.notes_and_ratings([observation_id])
                      if access.sees_feedback else ({}, {}))
    return render_template(
        "observations/print.html", observation=access.observation, row=_row(),
        notes=notes.get(observation_id, []), ratings=ratings.get(observation_id, []),
        prompts=access.observation.template_version.structure.get("prompts", []))


@bp.get("/<int:observation_id>/observation.pdf")
@requires(ObservationPermission.VIEW)
def pdf(observation_id: int):
    access = g.observation
    notes, ratings = (services.notes_and_ratings([observation_id])
                      if access.sees_feedback else ({}, {}))
    body = export.observation_pdf(
        access.observation, _row(), notes.get(observation_id, []),
        ratings.get(observation_id, []), feedback=access.sees_feedback,
        font=current_app.config.get("OBSERVATION_PDF_FONT"))
    return _download(body, "application/pdf", f"observation-{observation_id}.pdf")


@bp.get("/mine.csv")
@requires(Permission.VIEW_COURSE_DASHBOARD)
def export_csv():
    """Every rating of every observation the teacher took part in (as they may read it)."""
    person = g.ctx.person
    return _download(export.ratings_csv(person, services.own_observations(person)),
                     "text/csv", "my-observations.csv")


@bp.get("/mine.json")
@requires(Permission.VIEW_COURSE_DASHBOARD)
def export_json():
    """Everything of every observation the teacher took part in (as they may read it)."""
    person = g.ctx.person
    return _download(export.everything_json(person, services.own_observations(person)),
                     "application/json", "my-observations.json")
