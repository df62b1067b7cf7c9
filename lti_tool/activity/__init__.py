"""What's new, a shared block: the dashboard panel gathering every registered section.

Owns no table. Features and blocks register
:class:`~lti_tool.courses.registry.NewsSection` s; this package asks them all in
one query and shows those that have something, as a panel of the course dashboard.
"""

from __future__ import annotations

from flask import Flask, render_template

from lti_tool.courses import registry
from lti_tool.courses.after_response import after_response
from lti_tool.db import utcnow


def _panel(ctx) -> str:  # type: ignore[no-untyped-def]
    """The panel; the sections it showed are then seen, once the page is sent."""
    from lti_tool.activity.services import whats_new

    read_at = utcnow()
    news = whats_new(ctx.person, ctx.course)
    for entry in news.lists:
        if entry.section.seen is not None:
            after_response(entry.section.seen, ctx.person.id, ctx.person.platform_id,
                           ctx.course.id, read_at)
    return render_template("activity/_whats_new.html", ctx=ctx, news=news)


def init_app(app: Flask) -> None:
    registry.register_panel(app, registry.Panel(name="whats-new", order=20, render=_panel))
