"""Search page: ``/courses/<cid>/search?q=`` (endpoint ``courses.search.results``).

Nested in the course blueprint, so only launched, active staff reach it; the
service restricts results to what this teacher may read.
"""

from __future__ import annotations

from flask import Blueprint, g, render_template, request

from lti_tool.search import services

bp = Blueprint("search", __name__, url_prefix="/search")


@bp.get("")
def results():
    query = services.normalise(request.args.get("q", ""))
    hits = services.search(g.ctx.person, query) if query else []
    return render_template(
        "search/results.html", ctx=g.ctx, query=query, hits=hits, searched=bool(query),
        max_chars=services.QUERY_MAX_CHARS,
    )
