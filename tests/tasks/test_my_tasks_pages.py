""""My tasks" a page at a time: overdue first, the same queries whatever the number."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from lti_tool.extensions import db
from lti_tool.tasks.models import Task
from lti_tool.tasks.services import OPEN_SHOWN
from tests.support.sql import count_statements
from tests.tasks.helpers import course_space, launch, person, plan

TODAY = date.today()


@pytest.fixture
def ada(app, platform):
    return launch(app, platform)


def _open_tasks(count: int, start: int = 0) -> None:
    """``count`` open tasks of Ada's, due one day apart from ``start`` days ago."""
    space, me = course_space(), person("teacher-1")
    unit = plan(space)
    db.session.add_all(
        Task(subject_kind="plan", subject_id=unit.id, title=f"Task {start + i:03d}",
             owner_id=me.id, due_on=TODAY + timedelta(days=start + i - 1000))
        for i in range(count)
    )
    db.session.commit()


def _titles(html: str) -> list[str]:
    return re.findall(r'<span class="task-title">(Task \d+)</span>', html)


def test_open_tasks_come_a_page_at_a_time_soonest_first(ada):
    _open_tasks(OPEN_SHOWN * 2 + 5)
    first = ada.get("/courses/1/tasks/").get_data(as_text=True)
    assert _titles(first) == [f"Task {i:03d}" for i in range(OPEN_SHOWN)]
    assert f"Open tasks 1–{OPEN_SHOWN} of {OPEN_SHOWN * 2 + 5}" in first
    assert "/courses/1/tasks/?page=2" in first
    assert "Sooner tasks" not in first

    last = ada.get("/courses/1/tasks/?page=3").get_data(as_text=True)
    assert _titles(last) == [f"Task {i:03d}" for i in range(OPEN_SHOWN * 2, OPEN_SHOWN * 2 + 5)]
    assert "Later tasks" not in last
    assert "/courses/1/tasks/?page=2" in last
    # A task's buttons bring the teacher back to the page they were on.
    assert 'name="next" value="/courses/1/tasks/?page=3"' in last


@pytest.mark.parametrize("value", ["0", "-1", "²", "abc", "9" * 30, ""])
def test_a_page_that_is_not_a_page_number_is_the_first(ada, value):
    _open_tasks(3)
    resp = ada.get("/courses/1/tasks/", query_string={"page": value})
    assert resp.status_code == 200
    assert _titles(resp.get_data(as_text=True)) == ["Task 000", "Task 001", "Task 002"]


def test_a_page_past_the_end_says_so(ada):
    _open_tasks(3)
    html = ada.get("/courses/1/tasks/?page=7").get_data(as_text=True)
    assert _titles(html) == []
    assert "No open tasks on this page" in html


def test_my_tasks_costs_the_same_with_many_pages(ada):
    _open_tasks(OPEN_SHOWN + 10)
    ada.get("/courses/1/tasks/")
    with count_statements() as few:
        html = ada.get("/courses/1/tasks/").get_data(as_text=True)
    _open_tasks(OPEN_SHOWN * 4, start=OPEN_SHOWN + 10)
    with count_statements() as many:
        more = ada.get("/courses/1/tasks/").get_data(as_text=True)
    assert len(many) == len(few)
    assert len(_titles(more)) == len(_titles(html)) == OPEN_SHOWN
    assert db.session.scalar(sa.select(sa.func.count(Task.id))) == OPEN_SHOWN * 5 + 10
