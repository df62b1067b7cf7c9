"""Rough edges of issue 16 as a teacher meets them in the LMS frame.

The template chooser's cards line up at laptop and tablet sizes; a task button on
the dashboard the launch opened keeps the teacher there; "page not found" inside
the frame leads back to the course.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.pages.planning import PlanningPages, tag
from tests.browser.planning_seed import TEACHER_A
from tests.browser.support import SIZES, assert_accessible, require_chromium, screenshot

require_chromium()
pytestmark = pytest.mark.browser

CARD_BOXES = """(list) => [...list.querySelectorAll(':scope > .template-card')].map((card) => {
  const box = card.getBoundingClientRect();
  const name = card.querySelector('a').getBoundingClientRect();
  return {top: Math.round(box.top), left: Math.round(box.left), height: Math.round(box.height),
          width: Math.round(box.width), nameTop: Math.round(name.top - box.top),
          nameLeft: Math.round(name.left - box.left)};
})"""


def test_the_template_chooser_cards_line_up(launch, live_server):
    a = PlanningPages(launch(TEACHER_A.user_id).frame, live_server.tool_url)
    a.open_course_space_from_dashboard()
    a.follow(a.link("New plan"))
    expect(a.heading).to_have_text("New plan")
    for size, viewport in SIZES.items():
        a.frame.page.set_viewport_size(viewport)
        ready = a.frame.locator("ul.template-cards").first.evaluate(CARD_BOXES)
        assert len({c["top"] for c in ready}) < len(ready), f"one card per row at {size}"
        for grid in a.frame.locator("ul.template-cards").all():
            cards = grid.evaluate(CARD_BOXES)
            rows: dict[int, list[dict]] = {}
            for card in cards:
                rows.setdefault(card["top"], []).append(card)
            for row in rows.values():
                # A row's cards are as tall and as wide as each other, their names at one place.
                assert len({c["height"] for c in row}) == 1, (size, row)
                assert len({c["width"] for c in row}) == 1, (size, row)
                assert len({(c["nameTop"], c["nameLeft"]) for c in row}) == 1, (size, row)
            # And the columns are the same from row to row.
            lefts = [sorted(c["left"] for c in row) for row in rows.values()]
            for row_lefts in lefts[1:]:
                assert row_lefts == lefts[0][:len(row_lefts)], (size, lefts)
        screenshot(a.frame.page, "planning-template-chooser", size, "iframe.lms-frame")
    assert_accessible(a.frame, "the template chooser")
    # The whole card opens its template.
    card = a.frame.locator(".template-card", has_text="Lesson plan")
    box = card.bounding_box()
    with a.frame.expect_navigation():
        a.frame.page.mouse.click(box["x"] + box["width"] - 8, box["y"] + box["height"] - 8)
    expect(a.heading).to_have_text("New lesson")


def test_a_task_button_on_the_dashboard_keeps_the_teacher_there(launch, live_server):
    t = tag()
    a = PlanningPages(launch(TEACHER_A.user_id).frame, live_server.tool_url)
    a.open_course_space_from_dashboard()
    a.create_plan("Blank note", title=f"Marking {t}", body="Year 8 reports.")
    a.add_task(f"Mark the reports {t}", TEACHER_A.name)
    # A fresh launch: the dashboard is the launch's own answer.
    a = PlanningPages(launch(TEACHER_A.user_id).frame, live_server.tool_url)
    dashboard = a.path
    row = a.whats_new.locator(".task", has_text=f"Mark the reports {t}")
    a.follow(row.get_by_role("button", name=re.compile("^Start")))
    assert a.path == dashboard
    expect(a.flash).to_contain_text(f"“Mark the reports {t}” is now doing.")
    expect(a.frame.locator("main h1")).to_have_text("Year 8 Science")


def test_page_not_found_in_the_frame_leads_back_to_the_course(launch, live_server, watcher):
    a = PlanningPages(launch(TEACHER_A.user_id).frame, live_server.tool_url)
    dashboard = a.path
    missing = dashboard + "spaces/999999/plans/1"
    with watcher.expect_status(404, missing):
        a.goto(missing)
    expect(a.heading).to_have_text("Page not found")
    assert_accessible(a.frame, "page not found")
    a.follow(a.link("Back to the course dashboard"))
    assert a.path == dashboard
    with watcher.expect_status(404, "/courses/424242/no-such-page"):
        a.goto("/courses/424242/no-such-page")
    expect(a.frame.locator("main")).to_contain_text("open Staffroom again from your course")
