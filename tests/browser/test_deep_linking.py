"""Deep linking from the practice LMS, in the cross-site frame (issue 14's "done means").

A teacher presses "Add Staffroom content" on the course page, picks a unit of the
course's planning space in Staffroom's picker, the practice LMS checks the signed answer
and shows the new link, and launching that link opens exactly that unit. Each page is
checked with axe-core and photographed at laptop and tablet sizes.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.pages.lms import FRAME, LmsPage
from tests.browser.planning_seed import (  # noqa: F401 (planning_seed: a fixture)
    TEACHER_A,
    UNIT_TITLE,
    planning_seed,
)
from tests.browser.support import (
    assert_accessible,
    photograph_frame,
    photograph_page,
    require_chromium,
    wait_for_frame_url,
)

require_chromium()
pytestmark = pytest.mark.browser


def test_a_teacher_places_a_unit_and_the_new_link_opens_it(page, live_server, watcher,
                                                           planning_seed):  # noqa: F811
    unit = planning_seed.unit
    page.goto(f"{live_server.lms_url}/demo/?as={TEACHER_A.user_id}")
    assert_accessible(page, "practice LMS course home with Staffroom content")
    page.get_by_role("link", name="Add Staffroom content").click()

    frame = wait_for_frame_url(page, FRAME, re.compile(r".*/lti/launch$").match,
                               "the picker did not open")
    expect(frame.locator("h1")).to_have_text("Add Staffroom content to your course")
    choice = frame.get_by_label(f"Unit: {UNIT_TITLE}")
    expect(choice).to_have_attribute("type", "checkbox")  # the practice LMS accepts several
    choice.check()
    photograph_frame(frame, FRAME, "deep-linking-picker")
    frame.get_by_role("button", name="Add to the course").click()

    # The tool's answer is posted to the practice LMS's return URL, inside the frame.
    frame = wait_for_frame_url(page, FRAME, f"{live_server.lms_url}/demo/deep-link-return".__eq__,
                               "the picker's answer did not reach the practice LMS")
    expect(frame.locator("h1")).to_have_text("Added to the course")
    expect(frame.locator(".placed-links")).to_contain_text(f"Unit: {UNIT_TITLE}")
    photograph_frame(frame, FRAME, "deep-linking-returned")

    frame.get_by_role("link", name=f"Open “Unit: {UNIT_TITLE}”").click()
    page.wait_for_url(re.compile(r".*/demo/staffroom\?as=\d+&link=practice-link-\w+"))
    # (With the session token on the address when the launch's cookie had not come back.)
    unit_url = re.escape(f"{live_server.tool_url}{unit.view}")
    frame = wait_for_frame_url(page, FRAME, re.compile(unit_url + r"(\?_st=[^&]+)?$").match,
                               "the placed link did not open the unit")
    expect(frame.locator("h1")).to_contain_text(UNIT_TITLE)
    photograph_frame(frame, FRAME, "deep-linking-placed-unit")

    # The course page now lists the link for everyone in the course.
    page.goto(f"{live_server.lms_url}/demo/?as={TEACHER_A.user_id}")
    expect(page.locator(".placed-links")).to_contain_text(f"Unit: {UNIT_TITLE}")
    watcher.check()


def test_a_plan_opened_in_a_new_tab_is_where_the_relaunch_lands(page, live_server, watcher,
                                                                 planning_seed):  # noqa: F811
    """The new tab's cookies are not the frame's (partitioned): the tool remembers the page."""
    unit = planning_seed.unit
    lms = LmsPage(page, live_server.lms_url, live_server.tool_url)
    teacher = TEACHER_A
    lms.launch(teacher)

    # The unit's address, opened in a tab of its own: no session there.
    tab = page.context.new_page()
    with watcher.expect_status(401, unit.view):
        tab.goto(live_server.tool_url + unit.view)
    expect(tab.locator("h1")).to_have_text("Open Staffroom from your course")
    expect(tab.locator("main")).to_contain_text("it will bring you to this page")
    photograph_page(tab, "relaunch-new-tab")
    tab.close()

    # Staffroom opened again from the course: the frame lands on the unit, once.
    landed = lms.launch(teacher)
    unit_url = re.escape(f"{live_server.tool_url}{unit.view}")
    wait_for_frame_url(page, FRAME, re.compile(unit_url + r"(\?_st=[^&]+)?$").match,
                       "the relaunch did not land on the unit")
    expect(landed.frame.locator("h1")).to_contain_text(UNIT_TITLE)
    expect(landed.frame.locator(".flash")).to_contain_text("opened the page asked for")
    photograph_frame(landed.frame, FRAME, "relaunch-landed")
    again = lms.launch(teacher)
    expect(again.frame.locator("h1")).not_to_contain_text(UNIT_TITLE)  # the dashboard again
    watcher.check()
