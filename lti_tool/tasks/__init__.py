"""Tasks, a shared block: owned, dated work items on any feature's object, and "My tasks".

Owns the ``task`` table. A task belongs to a
:class:`~lti_tool.courses.registry.Subject`; who may see, change and own it comes
from that subject's kind in the registry. The person's open tasks are a section
of "What's new".
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from lti_tool.courses import registry
    from lti_tool.tasks import news, views

    registry.register_news(app, news.OPEN_TASKS)
    registry.register_nav(app, registry.NavLink("tasks", 80, "My tasks", "courses.tasks.mine"))
    app.add_template_global(views.tasks_for, "tasks_for")
