"""Search, a shared block: full-text search over everything a teacher may read.

Owns the ``search_document`` table (FTS5 on SQLite, ``tsvector`` on PostgreSQL).
Features and blocks index their texts with :func:`lti_tool.search.services.index`;
who may find a text is its subject's kind's rule, from the registry.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from lti_tool.courses import registry

    registry.register_nav(app, registry.NavLink("search", 90, "Search", "courses.search.results"))
