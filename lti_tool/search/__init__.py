"""Search, a shared block: full-text search over everything a teacher may read.

Owns the ``search_document`` table (FTS5 on SQLite, ``tsvector`` on PostgreSQL).
Features and blocks index their texts with :func:`lti_tool.search.services.index`;
who may find a text is its subject's kind's rule, from the registry.
"""
