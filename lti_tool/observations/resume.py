"""Autosave after the session ended: ``POST /observation-autosave/<observation_id>``.

A teacher in the middle of a lesson must not lose notes because the LMS frame's
session cookie expired or was dropped (a browser clearing third-party cookies, a
long lesson). The lesson form carries a signed key for that page alone (this
person, this observation, this course; a few hours' validity). With it, and only
for the autosave of that one form, this endpoint checks everything the course
area would have checked from the session: the person is still active staff of
the course on an active platform and deployment, and the observation's rule and
state still let them fill the form. The key travels in the ``X-Resume-Key``
header: another site can neither read it nor send a custom header without a
CORS preflight this tool never grants, so the key is also this endpoint's CSRF
defence (Flask-WTF's session token is gone with the session).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, jsonify, request

from lti_tool.courses.models import Course, Membership, Person
from lti_tool.extensions import csrf, db
from lti_tool.lti.models import Deployment, Platform
from lti_tool.observations.policy import observation_access
from lti_tool.observations.views.lesson import autosave, read_resume_key

bp = Blueprint("observation_resume", __name__, url_prefix="/observation-autosave")
csrf.exempt(bp)


@bp.post("/<int:observation_id>")
def save(observation_id: int):
    key = request.headers.get("X-Resume-Key", "")
    found = read_resume_key(key, observation_id) if key and len(key) < 1000 else None
    if found is None:
        return jsonify(error="This page's key is not valid any more: open Staffroom again "
                             "from your course."), 403
    person_id, course_id = found
    person = db.session.scalars(
        sa.select(Person)
        .join(Membership, Membership.person_id == Person.id)
        .join(Course, Course.id == Membership.course_id)
        .join(Platform, Platform.id == Course.platform_id)
        .join(Deployment, Deployment.id == Course.deployment_id)
        .where(Person.id == person_id, Membership.course_id == course_id,
               Membership.is_active_staff(), Platform.active.is_(True),
               Deployment.active.is_(True))
    ).first()
    access = observation_access(observation_id, person, course_id) if person else None
    if access is None:
        return jsonify(error="Not found."), 404
    return autosave(access, person)
