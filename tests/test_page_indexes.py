"""The dashboard's lists use indexes that match their filters and their order.

"Changed since your last visit" reads, per space, the plans saved after the visit
(``ix_plan_space_updated``); unseen mentions are read newest first from an index of
unseen mentions only (``ix_mention_unseen``). Checked with each database's own
EXPLAIN; on PostgreSQL the test's tables are analysed first and sequential scans are
priced out, so the plan shows whether an index *can* serve the query (a tiny test table
would otherwise be scanned whole).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from lti_tool.courses import registry
from lti_tool.extensions import db
from tests.tasks.helpers import course, course_space, launch, person


def _explain(statement: sa.Select, params: dict[str, int]) -> str:
    """The database's plan for the statement, run through SQLAlchemy as the page runs it."""
    postgres = db.engine.dialect.name == "postgresql"
    prefix = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "

    def explain(conn, cursor, sql, parameters, context, executemany):  # type: ignore[no-untyped-def]  # noqa: ANN001
        return prefix + sql, parameters

    conn = db.session.connection()
    if postgres:
        # Statistics of this test's rows, not of whatever an earlier test left behind.
        conn.exec_driver_sql("ANALYZE plan, space, space_member, membership, mention, comment")
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
    sa.event.listen(db.engine, "before_cursor_execute", explain, retval=True)
    try:
        cursor = conn.execute(statement, params).cursor
        rows = cursor.fetchall()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", explain)
        db.session.rollback()
    return "\n".join(str(r[-1]) for r in rows)


def _a_busy_year(ada_id: int, ben_id: int, space_id: int) -> None:
    """Plans saved over a year, one visit yesterday, and many mentions, nearly all seen:
    the shape the indexes are for (on a handful of rows any plan is as good)."""
    from lti_tool.db import utcnow
    from lti_tool.discussion.models import Comment, Mention
    from lti_tool.planning.models import Plan
    from lti_tool.planning.services import record_visits

    now = utcnow()
    db.session.execute(sa.insert(Plan), [
        {"space_id": space_id, "title": f"Plan {i}", "kind": "lesson", "updated_by_id": ben_id,
         "created_by_id": ben_id, "updated_at": now - timedelta(days=i)}
        for i in range(300)
    ])
    plan_id = db.session.scalar(sa.select(Plan.id).limit(1))
    db.session.execute(sa.insert(Comment), [
        {"subject_kind": "plan", "subject_id": plan_id, "author_id": ben_id, "body": f"@Ada {i}",
         "created_at": now - timedelta(hours=i)}
        for i in range(400)
    ])
    comment_ids = db.session.scalars(sa.select(Comment.id).order_by(Comment.id)).all()
    db.session.execute(sa.insert(Mention), [
        {"comment_id": cid, "person_id": ada_id, "seen_at": None if i >= 390 else now}
        for i, cid in enumerate(comment_ids)
    ])
    db.session.commit()
    record_visits(ada_id, [space_id], now - timedelta(days=1))


@pytest.mark.parametrize(("section", "index"), [
    ("mentions", "ix_mention_unseen"),
    ("changed-plans", "ix_plan_space_updated"),
])
def test_the_dashboards_lists_use_their_indexes(app, platform, section, index):
    launch(app, platform)
    launch(app, platform, sub="teacher-2", name="Ben Colleague")
    me, ben = person("teacher-1"), person("teacher-2")
    _a_busy_year(me.id, ben.id, course_space().id)
    params = {"person_id": me.id, "platform_id": me.platform_id, "course_id": course().id}
    [news] = [s for s in registry.news_sections() if s.name == section]
    statement = news.statement(*(sa.bindparam(k) for k in params)).limit(10)
    plan_text = _explain(statement, params)
    assert index in plan_text, plan_text
