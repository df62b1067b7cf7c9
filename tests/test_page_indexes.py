"""The dashboard's lists use indexes that match their filters and their order.

"Changed since your last visit" reads, per space, the plans saved after the visit
(``ix_plan_space_updated``); unseen mentions are read newest first from an index of
unseen mentions only (``ix_mention_unseen``). Checked with each database's own
EXPLAIN; on PostgreSQL sequential scans are priced out, so the plan shows whether an
index *can* serve the query (a tiny test table would otherwise be scanned whole).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lti_tool.courses import registry
from lti_tool.extensions import db
from tests.tasks.helpers import course, course_space, launch, person, plan, post


def _explain(statement: sa.Select, params: dict[str, int]) -> str:
    """The database's plan for the statement, run through SQLAlchemy as the page runs it."""
    postgres = db.engine.dialect.name == "postgresql"
    prefix = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "

    def explain(conn, cursor, sql, parameters, context, executemany):  # type: ignore[no-untyped-def]  # noqa: ANN001
        return prefix + sql, parameters

    conn = db.session.connection()
    if postgres:
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
    sa.event.listen(db.engine, "before_cursor_execute", explain, retval=True)
    try:
        cursor = conn.execute(statement, params).cursor
        rows = cursor.fetchall()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", explain)
        db.session.rollback()
    return "\n".join(str(r[-1]) for r in rows)


@pytest.mark.parametrize(("section", "index"), [
    ("mentions", "ix_mention_unseen"),
    ("changed-plans", "ix_plan_space_updated"),
])
def test_the_dashboards_lists_use_their_indexes(app, platform, section, index):
    ada = launch(app, platform)
    launch(app, platform, sub="teacher-2", name="Ben Colleague")
    ben = person("teacher-2")
    space = course_space()
    unit = plan(space, "Cells", author=ben)
    post(ada, f"/courses/1/discussion/plan/{unit.id}/comments", {"body": "hello"})
    me = person("teacher-1")
    params = {"person_id": me.id, "platform_id": me.platform_id, "course_id": course().id}
    [news] = [s for s in registry.news_sections() if s.name == section]
    statement = news.statement(*(sa.bindparam(k) for k in params)).limit(10)
    plan_text = _explain(statement, params)
    assert index in plan_text, plan_text
