"""Search page: ``/courses/<cid>/search?q=`` (endpoint ``courses.search.results``).

Nested in the course blueprint, so only launched, active staff reach it; the
service restricts results to the spaces this teacher can open.
"""

from __future__ import annotations

from flask import Blueprint, g, render_template, request

from lti_tool.planning.policy import load_space_from_request
from lti_tool.search import services
from lti_tool.tasks.links import plan_url

bp = Blueprint("search", __name__, url_prefix="/search")
bp.before_request(load_space_from_request)


@bp.get("")
def results():
    query = services.normalise(request.args.get("q", ""))
    hits = services.search(g.ctx.person, query) if query else []
    return render_template(
        "search/results.html", ctx=g.ctx, query=query, hits=hits, searched=bool(query),
        plan_url=plan_url, max_chars=services.QUERY_MAX_CHARS,
    )
