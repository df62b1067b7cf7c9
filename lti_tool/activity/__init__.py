"""What's new, a shared block: the dashboard panel gathering every registered section.

Owns no table. Features and blocks register
:class:`~lti_tool.courses.registry.NewsSection` s; this package asks them all in
one query and shows those that have something, as a panel of the course dashboard.
"""

from __future__ import annotations

from flask import Flask, render_template

from lti_tool.courses import registry


def _panel(ctx) -> str:  # type: ignore[no-untyped-def]
    from lti_tool.activity.services import whats_new

    return render_template(
        "activity/_whats_new.html", ctx=ctx, news=whats_new(ctx.person, ctx.course)
    )


def init_app(app: Flask) -> None:
    registry.register_panel(app, registry.Panel(name="whats-new", order=20, render=_panel))
