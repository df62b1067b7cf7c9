"""A space's home stays small however many plans a space keeps, and only reads.

Each list is a window (the current unit first, past ones a click away), built from
three queries that read no plan's text; the visit it counts as is recorded after
the page is sent, so a database busy with a write cannot break the page.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
from datetime import date, timedelta

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from lti_tool.extensions import db
from lti_tool.planning import services
from lti_tool.planning.models import Plan, PlanKind, SpaceMember
from lti_tool.planning.services import LESSONS_SHOWN, LIST_SHOWN, UNITS_SHOWN
from tests.planning.conftest import course_space_id, page, person_id
from tests.support.sql import count_statements, writes


def _plans(space_id: int, kind: str, titles: list[str], starts: list[date | None] | None = None,
           parent_id: int | None = None) -> list[int]:
    """Plans straight into the database (the page is under test, not the form)."""
    rows = []
    for i, title in enumerate(titles):
        day = starts[i] if starts else None
        rows.append(Plan(space_id=space_id, kind=kind, title=title, starts_on=day, ends_on=day,
                         parent_id=parent_id, body="SECRET-BODY " * 50,
                         objectives="SECRET-OBJECTIVES"))
    db.session.add_all(rows)
    db.session.commit()
    ids = [r.id for r in rows]
    db.session.remove()
    return ids


def _titles(html: str, section: str) -> list[str]:
    start = html.index(f'id="{section}-heading"')
    end = html.index("</section>", start)
    return re.findall(r'/plans/\d+">([^<]+)</a>', html[start:end])


def test_units_start_at_the_current_one_and_page_both_ways(ada):
    sid = course_space_id(ada)
    today = date.today()
    past = [today - timedelta(days=300 - 20 * i) for i in range(10)]  # all over
    coming = [today + timedelta(days=7 * i) for i in range(3)]  # this week and later
    _plans(sid, PlanKind.UNIT, [f"Past {i}" for i in range(10)], past)
    _plans(sid, PlanKind.UNIT, [f"Coming {i}" for i in range(3)], coming)
    _plans(sid, PlanKind.UNIT, ["Undated"])

    home = page(ada.get(f"{ada.base}/{sid}/"))
    assert _titles(home, "units") == ["Coming 0", "Coming 1", "Coming 2", "Undated"]
    assert "Units 11–14 of 14" in home
    assert f"?units={10 - UNITS_SHOWN}#units-heading" in home  # earlier units
    assert "Later units" not in home

    earlier = page(ada.get(f"{ada.base}/{sid}/?units={10 - UNITS_SHOWN}"))
    assert _titles(earlier, "units") == [f"Past {i}" for i in range(10 - UNITS_SHOWN, 10)]
    assert "Later units" in earlier
    assert "Earlier units" in earlier


def test_a_list_that_is_all_past_shows_its_last_window(ada):
    sid = course_space_id(ada)
    days = [date.today() - timedelta(days=100 - i) for i in range(LIST_SHOWN + 4)]
    _plans(sid, PlanKind.MEETING, [f"Meeting {i:02d}" for i in range(LIST_SHOWN + 4)], days)
    home = page(ada.get(f"{ada.base}/{sid}/"))
    assert _titles(home, "meetings") == [f"Meeting {i:02d}" for i in range(4, LIST_SHOWN + 4)]
    assert f"Meetings 5–{LIST_SHOWN + 4} of {LIST_SHOWN + 4}" in home


@pytest.mark.parametrize("value", ["²", "-1", "1e3", "abc", "9" * 40, "0x10", ""])
def test_a_window_that_is_not_a_number_is_the_default_one(ada, value):
    sid = course_space_id(ada)
    _plans(sid, PlanKind.NOTE, [f"Note {i:02d}" for i in range(LIST_SHOWN + 2)])
    resp = ada.get(f"{ada.base}/{sid}/", query_string={"notes": value})
    assert resp.status_code == 200
    assert _titles(page(resp), "notes")[0] == "Note 00"


def test_a_window_past_the_end_shows_the_last_plans(ada):
    sid = course_space_id(ada)
    _plans(sid, PlanKind.NOTE, [f"Note {i:02d}" for i in range(LIST_SHOWN + 2)])
    home = page(ada.get(f"{ada.base}/{sid}/?notes=999999"))
    assert _titles(home, "notes") == [f"Note {LIST_SHOWN + 1:02d}"]
    assert "Later notes" not in home


def test_a_unit_shows_its_first_lessons_and_says_how_many_more(ada):
    sid = course_space_id(ada)
    [unit] = _plans(sid, PlanKind.UNIT, ["Cells"])
    _plans(sid, PlanKind.LESSON, [f"Lesson {i:02d}" for i in range(LESSONS_SHOWN + 3)],
           parent_id=unit)
    home = page(ada.get(f"{ada.base}/{sid}/"))
    start = home.index('aria-label="Lessons of Cells"')
    lessons = home[start:home.index("</ol>", start)]
    assert len(re.findall(r"<li>", lessons)) == LESSONS_SHOWN
    assert "3 more lessons" in home
    assert "Lessons not in a unit" not in home


def test_the_home_reads_titles_and_dates_not_plan_text(ada):
    sid = course_space_id(ada)
    ada.get(f"{ada.base}/{sid}/")
    [unit] = _plans(sid, PlanKind.UNIT, ["Cells"])
    _plans(sid, PlanKind.LESSON, ["One", "Two"], parent_id=unit)
    _plans(sid, PlanKind.MEETING, [f"Meeting {i}" for i in range(30)])
    with count_statements() as few:
        ada.get(f"{ada.base}/{sid}/")
    _plans(sid, PlanKind.MEETING, [f"More {i}" for i in range(200)])
    with count_statements() as statements:
        html = page(ada.get(f"{ada.base}/{sid}/"))
    assert len(statements) == len(few)
    plan_reads = [s for s in statements if 'FROM "plan"' in s or "FROM plan" in s]
    assert plan_reads
    assert not [s for s in plan_reads if ".body" in s or ".objectives" in s]
    assert "SECRET" not in html
    assert len(_titles(html, "meetings")) == LIST_SHOWN


def _visit_of(sub: str, space_id: int):  # type: ignore[no-untyped-def]
    stamp = db.session.scalar(sa.select(SpaceMember.last_visit_at).where(
        SpaceMember.space_id == space_id, SpaceMember.person_id == person_id(sub)))
    db.session.remove()
    return stamp


def test_the_visit_is_recorded_after_the_page_is_sent(ada):
    sid = course_space_id(ada)
    with ada.app.app_context(), count_statements() as statements:
        resp = ada.client.get(f"{ada.base}/{sid}/", buffered=False)
        assert resp.status_code == 200
        assert "Units" in resp.get_data(as_text=True)
    assert writes(statements) == []
    assert _visit_of(ada.sub, sid) is None
    resp.close()  # the server has sent the page
    assert _visit_of(ada.sub, sid) is not None


class _WriteLock:
    """Another connection holds the database's write lock (SQLite) or the tables' (PostgreSQL:
    EXCLUSIVE mode lets readers through, no writer), until :meth:`release`."""

    def __init__(self, tables: str) -> None:
        url = db.engine.url
        self.released = threading.Event()
        if url.get_backend_name() == "sqlite":
            self.conn = sqlite3.connect(url.database, isolation_level=None,
                                        check_same_thread=False)
            self.conn.execute("BEGIN IMMEDIATE")
        else:
            self.conn = psycopg.connect(url.set(drivername="postgresql")
                                        .render_as_string(hide_password=False))
            self.conn.execute(f"LOCK TABLE {tables} IN EXCLUSIVE MODE")

    def release(self) -> None:
        self.conn.rollback()
        self.conn.close()
        self.released.set()


def test_pages_read_while_another_writer_holds_the_database(ada, bo):
    sid = course_space_id(ada)
    pid = _plans(sid, PlanKind.UNIT, ["Cells"])[0]
    bo.post(f"/courses/{bo.course_id}/discussion/plan/{pid}/comments",
            {"body": "@Ada Teacher look"})
    lock = _WriteLock("space_member, mention")
    # Released after a while in any case: a page that waited for the lock would be late.
    releaser = threading.Timer(10, lock.release)
    releaser.start()
    try:
        with ada.app.app_context():
            home = ada.client.get(f"{ada.base}/{sid}/", buffered=False)
            plan = ada.client.get(f"{ada.base}/{sid}/plans/{pid}", buffered=False)
        assert not lock.released.is_set(), "the pages waited for the writer"
        assert home.status_code == 200
        assert "Cells" in home.get_data(as_text=True)
        assert plan.status_code == 200
        assert "look" in plan.get_data(as_text=True)
    finally:
        releaser.cancel()
        if not lock.released.is_set():
            lock.release()
    home.close()  # the writer is done: the deferred writes now go through
    plan.close()
    assert _visit_of(ada.sub, sid) is not None
    assert "mentioned you" not in page(ada.get(f"/courses/{ada.course_id}/"))


def test_a_deferred_write_that_fails_is_logged_and_never_shown(ada, monkeypatch, caplog):
    sid = course_space_id(ada)

    def locked(*args: object) -> None:
        raise OperationalError("UPDATE space_member", {}, Exception("database is locked"))

    monkeypatch.setattr(services, "record_visits", locked)
    with caplog.at_level(logging.WARNING, logger="lti_tool.after_response"):
        resp = ada.get(f"{ada.base}/{sid}/")
    assert resp.status_code == 200
    assert "after-response write" in caplog.text
    assert "OperationalError" in caplog.text
    assert _visit_of(ada.sub, sid) is None


def test_the_spaces_open_tasks_come_ten_at_a_time(ada):
    from lti_tool.planning.views import TASKS_SHOWN
    from lti_tool.tasks.models import Task

    sid = course_space_id(ada)
    db.session.add_all(
        Task(subject_kind="space", subject_id=sid, title=f"Job {i:02d}",
             owner_id=person_id(ada.sub), due_on=date.today() + timedelta(days=i))
        for i in range(TASKS_SHOWN + 2)
    )
    db.session.commit()
    db.session.remove()
    first = page(ada.get(f"{ada.base}/{sid}/"))
    assert re.findall(r"task-title\">(Job \d+)", first) == [
        f"Job {i:02d}" for i in range(TASKS_SHOWN)]
    assert f"?tasks={TASKS_SHOWN}#space-tasks-heading" in first
    rest = page(ada.get(f"{ada.base}/{sid}/?tasks={TASKS_SHOWN}"))
    assert re.findall(r"task-title\">(Job \d+)", rest) == ["Job 10", "Job 11"]
    assert "Sooner tasks" in rest
    assert "Later tasks" not in rest
