"""Planning views: ``/courses/<course_id>/spaces/…`` (nested in the course blueprint)."""

from __future__ import annotations

from flask import Blueprint, g, render_template

from lti_tool.planning import services
from lti_tool.planning.policy import load_space_from_request

bp = Blueprint("planning", __name__, url_prefix="/spaces")
bp.before_request(load_space_from_request)


@bp.get("/")
def index():
    """The spaces this teacher belongs to: the course's own space, then team spaces."""
    course_space = services.ensure_course_space(g.ctx.course, g.ctx.person)
    return render_template(
        "planning/index.html",
        ctx=g.ctx,
        course_space=course_space,
        team_spaces=services.team_spaces_for(g.ctx.person),
    )
