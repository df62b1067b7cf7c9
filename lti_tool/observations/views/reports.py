"""Coverage (names only), a teacher's own growth, and aggregates over five or more."""

from __future__ import annotations

from datetime import date

from flask import g, render_template

from lti_tool.courses.policy import Permission, requires
from lti_tool.observations import reports
from lti_tool.observations.views import bp


@bp.get("/coverage")
@requires(Permission.VIEW_COURSE_DASHBOARD)
def coverage():
    """Who has not been observed, or observed nobody, this term: names, never content."""
    return render_template("observations/coverage.html",
                           coverage=reports.coverage(g.ctx.course, date.today()))


@bp.get("/growth")
@requires(Permission.VIEW_COURSE_DASHBOARD)
def growth():
    """The teacher's own ratings over time, per look-for: for their eyes only."""
    series = reports.growth(g.ctx.person)
    return render_template("observations/growth.html", series=series,
                           charts=[reports.chart(s) for s in series])


@bp.get("/report")
@requires(Permission.VIEW_COURSE_DASHBOARD)
def report():
    """Counts per look-for for the course and the school, each shown from five observations."""
    course = g.ctx.course
    return render_template(
        "observations/report.html",
        course_report=reports.aggregate(course=course, scope=course.display_title),
        school_report=reports.aggregate(platform_id=course.platform_id, scope="The school"),
        minimum=reports.MIN_OBSERVATIONS,
    )
