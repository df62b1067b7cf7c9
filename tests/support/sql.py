"""Counting the SQL statements a block of code sends (bounded query counts, no N+1)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from lti_tool.extensions import db


@contextmanager
def count_statements() -> Iterator[list[str]]:
    """Every SQL statement sent while the block runs (an N+1 shows as a growing list)."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)


def writes(statements: list[str]) -> list[str]:
    """The statements that change data (INSERT, UPDATE, DELETE)."""
    return [s for s in statements if s.lstrip().split(None, 1)[0].upper() in
            {"INSERT", "UPDATE", "DELETE"}]
