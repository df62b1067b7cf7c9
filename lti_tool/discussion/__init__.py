"""Discussion, a shared block: comments with @mentions on any feature's object.

Owns the ``comment`` and ``mention`` tables. A comment belongs to a
:class:`~lti_tool.courses.registry.Subject` (a plan, an observation, a note);
who may read, write and be mentioned comes from that subject's kind in the
registry, never from a feature's tables. Unseen mentions are a section of
"What's new"; comments are indexed for search.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from lti_tool.courses import registry
    from lti_tool.discussion import news, views

    registry.register_news(app, news.MENTIONS)
    app.add_template_global(views.discussion_for, "discussion_for")
