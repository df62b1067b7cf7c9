"""Checklists ticked on the plan page: a revision per tick, and no tick ever lost.

A tick names the item by its place and its words; the server applies it to the
plan as it is now (never writes back the page's copy), through ``save_plan`` so
that history and the version check hold, and tries again when a colleague's save
lands in between. Without JavaScript it is a form post; with it, the same post
answered as JSON.
"""

from __future__ import annotations

import re
import threading

import pytest

from lti_tool.courses.models import Person as PersonRow
from lti_tool.extensions import db
from lti_tool.markdown import set_task, task_items
from lti_tool.planning import services
from lti_tool.planning.models import Draft, Plan, PlanRevision
from tests.planning.conftest import LEARNER, course_space_id, create_plan, page

BODY = """## Before the trip

- [ ] Book the coach
- [x] Send the letters home
- [ ] Check the first-aid kit

| Day | Who |
|---|---|
| Mon | Ada |
"""


@pytest.fixture
def trip(ada, bo):  # type: ignore[no-untyped-def]
    sid = course_space_id(ada)
    pid = create_plan(ada, sid, title="Pond trip", kind="note", draft_key="new-note",
                      objectives="- [ ] Name three pond animals", body=BODY)
    bo.get(bo.base + "/")
    return sid, pid


def tick_url(person, sid: int, pid: int) -> str:  # type: ignore[no-untyped-def]
    return f"{person.base}/{sid}/plans/{pid}/checklist"


def tick(person, sid, pid, field, index, words, checked=True, **kwargs):  # type: ignore[no-untyped-def]
    data = {"tick": f"{field}:{index}:{1 if checked else 0}", f"text-{field}-{index}": words}
    return person.post(tick_url(person, sid, pid), data, **kwargs)


def body_of(pid: int) -> str:
    return db.session.get(Plan, pid).body


def colleague_saves(pid: int, sub: str, body: str, base_version: int = 1) -> None:
    """A colleague's save from the edit form, straight through the service."""
    author = db.session.scalars(db.select(PersonRow).filter_by(sub=sub)).one()
    data = services.plan_data(db.session.get(Plan, pid))
    data.body = body
    services.save_plan(db.session.get(Plan, pid), author, base_version, data)
    db.session.remove()


def test_task_items_and_set_task_change_one_box_only():
    items = task_items(BODY)
    assert [(i.index, i.text, i.checked) for i in items] == [
        (0, "Book the coach", False), (1, "Send the letters home", True),
        (2, "Check the first-aid kit", False)]
    ticked = set_task(BODY, items[2], True)
    assert ticked == BODY.replace("- [ ] Check the first-aid kit", "- [x] Check the first-aid kit")
    quoted = "> 1. [ ] In a **quote**, numbered\n"
    (item,) = task_items(quoted)
    assert item.text == "In a quote, numbered"
    assert set_task(quoted, item, True) == "> 1. [x] In a **quote**, numbered\n"


def test_the_plan_page_shows_a_tick_button_per_item_in_one_form(ada, trip):
    sid, pid = trip
    html = ada.get(f"{ada.base}/{sid}/plans/{pid}").get_data(as_text=True)
    assert html.count('class="task-toggle"') == 4  # one objective, three in the text
    assert ('<button type="submit" name="tick" value="body:1:0" class="task-toggle" '
            'role="checkbox" aria-checked="true" id="tick-body-1">') in html
    assert '<input type="hidden" name="text-body-0" value="Book the coach">' in html
    assert '<input type="hidden" name="text-objectives-0" value="Name three pond animals">' in html
    assert html.count(f'action="/courses/1/spaces/{sid}/plans/{pid}/checklist"') == 2
    assert "disabled" not in re.search(r'<section aria-labelledby="body-heading">.*?</section>',
                                       html, re.DOTALL).group(0)


def test_a_tick_without_javascript_is_a_revision_by_its_author(ada, bo, trip):
    sid, pid = trip
    resp = tick(bo, sid, pid, "body", 0, "Book the coach")
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith(f"/plans/{pid}#tick-body-0")
    assert body_of(pid) == BODY.replace("- [ ] Book the coach", "- [x] Book the coach")
    plan = db.session.get(Plan, pid)
    assert plan.version == 2
    revision = db.session.scalars(db.select(PlanRevision).filter_by(plan_id=pid, version=2)).one()
    author = db.session.get(PersonRow, revision.author_id)
    assert author.sub == "teacher-2"
    assert revision.objectives == plan.objectives
    shown = page(bo.get(f"{bo.base}/{sid}/plans/{pid}"))
    assert "Ticked “Book the coach” (saved as version 2)." in shown
    assert 'value="body:0:0" class="task-toggle" role="checkbox" aria-checked="true"' in shown
    # Unticking is a tick too; the objectives have their own boxes.
    assert tick(ada, sid, pid, "body", 1, "Send the letters home", checked=False).status_code == 303
    assert "- [ ] Send the letters home" in body_of(pid)
    assert tick(ada, sid, pid, "objectives", 0, "Name three pond animals").status_code == 303
    assert db.session.get(Plan, pid).objectives == "- [x] Name three pond animals"
    assert db.session.get(Plan, pid).version == 4


def test_a_tick_with_javascript_is_answered_as_json(ada, trip):
    sid, pid = trip
    resp = tick(ada, sid, pid, "body", 2, "Check the first-aid kit",
                headers={"Accept": "application/json"})
    assert resp.status_code == 200
    assert resp.get_json() == {
        "checked": True, "changed": True, "version": 2, "next": "body:2:0",
        "message": "Ticked “Check the first-aid kit” (saved as version 2).",
    }
    again = tick(ada, sid, pid, "body", 2, "Check the first-aid kit",
                 headers={"Accept": "application/json"}).get_json()
    assert again["changed"] is False  # already ticked: no new version
    assert again["message"] == "“Check the first-aid kit” was already ticked."
    assert db.session.get(Plan, pid).version == 2


def test_a_tick_from_an_older_page_lands_on_the_current_version(ada, bo, trip):
    """Bo's page was loaded before Ada added an item above: Bo's tick finds its item by words."""
    sid, pid = trip
    colleague_saves(pid, "teacher-1", BODY.replace(
        "- [ ] Book the coach", "- [ ] Ask the head\n- [ ] Book the coach"))
    resp = tick(bo, sid, pid, "body", 2, "Check the first-aid kit")  # now item 3
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith("#tick-body-3")
    body = body_of(pid)
    assert "- [ ] Ask the head" in body  # Ada's change is kept
    assert "- [x] Check the first-aid kit" in body
    assert db.session.get(Plan, pid).version == 3


def test_a_tick_on_an_item_a_colleague_removed_is_refused_and_said(ada, bo, trip):
    sid, pid = trip
    colleague_saves(pid, "teacher-1", BODY.replace("- [ ] Book the coach\n", ""))
    resp = tick(bo, sid, pid, "body", 0, "Book the coach",
                headers={"Accept": "application/json"})
    assert resp.status_code == 409
    assert "no longer in this plan" in resp.get_json()["message"]
    assert db.session.get(Plan, pid).version == 2


def test_a_save_between_reading_and_writing_is_kept_and_the_tick_tried_again(
    ada, bo, trip, monkeypatch
):
    """The first write finds the plan moved on (a colleague saved): the tick goes on theirs."""
    sid, pid = trip
    real_save = services.save_plan
    calls = []

    def colleague_saves_first(plan, author, base_version, data, **kwargs):  # type: ignore[no-untyped-def]
        if not calls:
            calls.append("colleague")
            real_save(db.session.get(Plan, pid),
                      db.session.scalars(db.select(PersonRow).filter_by(sub="teacher-2")).one(),
                      base_version, _with_row(services.plan_data(db.session.get(Plan, pid))))
        calls.append("tick")
        return real_save(plan, author, base_version, data, **kwargs)

    monkeypatch.setattr(services, "save_plan", colleague_saves_first)
    assert tick(ada, sid, pid, "body", 0, "Book the coach").status_code == 303
    assert calls == ["colleague", "tick", "tick"]  # refused once as stale, then applied
    body = body_of(pid)
    assert "| Tue | Bo |" in body
    assert "- [x] Book the coach" in body
    assert db.session.get(Plan, pid).version == 3


def _with_row(data):  # type: ignore[no-untyped-def]
    data.body = data.body.replace("| Mon | Ada |", "| Mon | Ada |\n| Tue | Bo |")
    return data


def test_two_people_ticking_at_once_both_keep_their_tick(app, ada, bo, trip):
    sid, pid = trip
    db.session.remove()
    barrier = threading.Barrier(2)
    results: list[object] = []

    def tick_as(sub: str, index: int, words: str) -> None:
        with app.app_context():
            plan = db.session.get(Plan, pid)
            person = db.session.scalars(db.select(PersonRow).filter_by(sub=sub)).one()
            barrier.wait()
            try:
                results.append(services.tick(plan, person, "body", index, words, True))
            except Exception as exc:  # noqa: BLE001 - the test reports whatever happened
                results.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=tick_as, args=("teacher-1", 0, "Book the coach")),
               threading.Thread(target=tick_as, args=("teacher-2", 2, "Check the first-aid kit"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(r.version for r in results) == [2, 3], results  # type: ignore[union-attr]
    body = body_of(pid)
    assert "- [x] Book the coach" in body
    assert "- [x] Check the first-aid kit" in body
    assert sorted(r.version for r in db.session.scalars(
        db.select(PlanRevision).filter_by(plan_id=pid))) == [1, 2, 3]


def test_a_tick_keeps_the_authors_unsaved_draft(ada, trip):
    sid, pid = trip
    resp = ada.post_json(f"{ada.base}/{sid}/drafts", {
        "plan_key": f"plan-{pid}", "base_version": 1,
        "data": {"title": "Pond trip", "body": "half-written"}})
    assert resp.status_code == 200
    assert tick(ada, sid, pid, "body", 0, "Book the coach").status_code == 303
    assert db.session.scalars(db.select(Draft).filter_by(plan_key=f"plan-{pid}")).one()


@pytest.mark.parametrize("value", ["", "body", "body:x:1", "title:0:1", "body:0:2",
                                   "body:²:1", "body:999999999999:1", "body:0:1\n"])
def test_a_tick_that_names_no_item_is_a_clear_400(ada, trip, value):
    sid, pid = trip
    resp = ada.post(tick_url(ada, sid, pid), {"tick": value, "text-body-0": "Book the coach"})
    assert resp.status_code == 400
    assert db.session.get(Plan, pid).version == 1


def test_ticks_are_refused_without_csrf_and_to_those_who_may_not_edit(ada, people, trip):
    sid, pid = trip
    assert tick(ada, sid, pid, "body", 0, "Book the coach", csrf=False).status_code == 400
    learner = people("learner-1", "Lee Learner", roles=LEARNER)
    assert tick(learner, sid, pid, "body", 0, "Book the coach").status_code == 403
    outsider = people("teacher-9", "Cy Other", context={"id": "course-2", "label": "C",
                                                         "title": "Chemistry"})
    url = tick_url(ada, sid, pid).replace("/courses/1/", f"/courses/{outsider.course_id}/")
    assert outsider.post(url, {"tick": "body:0:1", "text-body-0": "Book the coach"}
                         ).status_code == 404
    too_long = tick(ada, sid, pid, "body", 0, "x" * 3000)
    assert too_long.status_code == 400
    assert db.session.get(Plan, pid).version == 1
