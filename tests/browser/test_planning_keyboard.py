"""Planning with the keyboard alone: open the space, start a unit, fix refused fields, save.

Only Tab, Shift+Tab, Enter and typed characters once the LMS page is open; every
stop shows its focus ring (checked by ``tab_until``), and the form lets the focus
leave. The refused save must say what is wrong next to each field (aria-invalid,
aria-describedby) and keep everything typed.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from babel.dates import format_date
from playwright.sync_api import Frame, Page, expect

from tests.browser.pages.planning import PlanningPages, tag
from tests.browser.planning_seed import TEACHER_A
from tests.browser.support import (
    assert_accessible,
    assert_focus_visible,
    focused,
    id_is,
    require_chromium,
    tab_until,
    text_is,
)

require_chromium()
pytestmark = pytest.mark.browser

# Date fields are typed as the en-US locale shows them (month, day, year segments).
LOCALE = "en-US"


def typed_date(day: date) -> str:
    return day.strftime("%m%d%Y")


def enter_and_wait(page: Page, frame: Frame) -> None:
    with frame.expect_navigation():
        page.keyboard.press("Enter")


def tab_out_of_the_frame(page: Page, frame: Frame, limit: int = 80) -> list[dict]:
    """Tab from the focus until it leaves the frame's document; returns the stops.

    A date field keeps the focus for its month, day and year parts and its calendar
    button, so one element may be the stop a few times in a row (each with its ring);
    coming back to an earlier element after others is a keyboard trap.
    """
    stops: list[dict] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        info = focused(frame)
        if info is None or info["isFrame"]:
            return stops
        assert_focus_visible(info, frame.url)
        if stops and info["path"] == stops[-1]["path"]:
            assert info["type"] == "date", f"Tab stayed on {info}"
            continue
        assert all(info["path"] != s["path"] for s in stops), f"keyboard trap at {info}"
        stops.append(info)
    raise AssertionError(f"keyboard trap: {limit} Tabs never left {frame.url}")


def test_a_teacher_starts_a_unit_and_fixes_the_refused_fields_with_the_keyboard(
    new_context, launch, watcher, live_server
):
    t = tag()
    page = new_context(locale=LOCALE).new_page()
    frame = launch(TEACHER_A.user_id, on=page).frame
    planning = PlanningPages(frame, live_server.tool_url)

    tab_until(page, frame, text_is("^Open the course planning space$"), limit=60)
    enter_and_wait(page, frame)
    expect(planning.heading).to_have_text("Year 8 Science")
    space_path = planning.path
    tab_until(page, frame, text_is("^New plan$"))
    enter_and_wait(page, frame)
    tab_until(page, frame, text_is("^Unit plan$"))
    enter_and_wait(page, frame)
    expect(planning.heading).to_have_text("New unit")

    # The whole form can be passed through and left again. The objectives and the plan are
    # document editors: each is its toolbar (one stop), its "Markdown" button and its text.
    PlanningPages(frame, live_server.tool_url).editor("body")
    stops = tab_out_of_the_frame(page, frame)
    ids = [s["id"] for s in stops]
    for field_id in ("title", "kind", "starts_on", "ends_on", "objectives-editor", "tags",
                     "body-editor"):
        assert field_id in ids, f"Tab never reached #{field_id}: {ids}"
    assert (ids.index("title") < ids.index("starts_on") < ids.index("ends_on")
            < ids.index("objectives-editor") < ids.index("tags") < ids.index("body-editor"))
    texts = [s["text"] for s in stops if s["tag"] == "button"]
    assert texts.count("Markdown") == 2
    assert texts.count("H2") == 2  # one stop per toolbar: its other buttons are reached by arrows
    assert "B" not in texts
    assert texts[-1] == "Create"

    # Title left empty, an end before the start: refused, each message at its field.
    start, end = date.today() + timedelta(days=40), date.today() + timedelta(days=33)
    tab_until(page, frame, id_is("starts_on"), limit=80)
    page.keyboard.type(typed_date(start))
    tab_until(page, frame, id_is("ends_on"))
    page.keyboard.type(typed_date(end))
    tab_until(page, frame, id_is("tags"))
    page.keyboard.type(f"cells, {t}")
    tab_until(page, frame, text_is("^Create$"))
    with watcher.expect_status(422, space_path + "plans/new"):
        enter_and_wait(page, frame)

    summary = frame.get_by_role("alert")
    expect(summary).to_contain_text("Nothing was saved yet")
    for field_id, message in (("title", "Give the plan a title."),
                              ("ends_on", "The end date is before the start date.")):
        field = frame.locator(f"#{field_id}")
        expect(field).to_have_attribute("aria-invalid", "true")
        expect(field).to_have_attribute("aria-describedby", re.compile(rf"\b{field_id}-error\b"))
        expect(frame.locator(f"#{field_id}-error")).to_have_text(f"Error: {message}")
    expect(frame.locator("#starts_on")).to_have_value(start.isoformat())
    expect(frame.locator("#ends_on")).to_have_value(end.isoformat())
    expect(frame.locator("#tags")).to_have_value(f"cells, {t}")
    expect(planning.body_field).to_have_value(re.compile("## Big idea and why it matters"))
    assert_accessible(frame, "the refused unit form")

    # The summary's link takes the focus to the field.
    tab_until(page, frame, lambda info: info["href"] == "#title")
    page.keyboard.press("Enter")
    assert focused(frame)["id"] == "title", focused(frame)
    title = f"Cells with the keyboard {t}"
    page.keyboard.type(title)
    later = date.today() + timedelta(days=60)
    tab_until(page, frame, id_is("ends_on"))
    page.keyboard.type(typed_date(later))
    tab_until(page, frame, text_is("^Create$"))
    enter_and_wait(page, frame)

    expect(planning.heading).to_have_text(title)
    expect(planning.flash).to_contain_text(f"“{title}” is created.")
    shown = format_date(later, "medium", locale="en_GB")
    expect(frame.locator(".plan-facts")).to_contain_text(shown)
