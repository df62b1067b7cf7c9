"""Keyboard alone: skip links, focus order, visible focus, no trap, Enter to submit.

Each journey presses only Tab, Shift+Tab, Enter and typed characters once its first
page is open; every link or button it passes must show a focus ring.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Frame, Page, expect

from tests.browser.pages.admin import AdminPage, PlatformValues
from tests.browser.pages.dashboard import DashboardPage
from tests.browser.pages.lms import LmsPage
from tests.browser.support import (
    assert_focus_visible,
    focused,
    id_is,
    require_chromium,
    tab_until,
    text_is,
)

require_chromium()
pytestmark = pytest.mark.browser

SKIP_LINK = "Skip to main content"


def skip_to_main(page: Page, target: Page | Frame) -> None:
    """Tab to the skip link (the first stop, hidden until focused), follow it with Enter."""
    skip = target.locator(".skip-link")
    box = skip.bounding_box()
    assert box is not None
    assert box["y"] + box["height"] <= 0, "the skip link shows before it has the focus"

    stops = tab_until(page, target, text_is(SKIP_LINK))
    assert len(stops) == 1, f"the skip link is not the first stop: {stops}"
    assert_focus_visible(stops[0], target.url)

    page.keyboard.press("Enter")
    active = focused(target)
    assert active is not None
    assert (active["tag"], active["id"]) == ("main", "main"), active


def tab_through_everything(page: Page, target: Page | Frame, limit: int = 80) -> list[dict | None]:
    """Tab from where the focus is until it leaves the page (to the browser), as it must.

    The last stop is ``None``: nothing in this document has the focus. Coming back
    round to an earlier stop without ever leaving is a trap (a script pulling the
    focus back), and so is never leaving within ``limit`` presses.
    """
    stops: list[dict | None] = []
    seen: set[str] = set()
    for _ in range(limit):
        page.keyboard.press("Tab")
        info = focused(target)
        if info is None:
            stops.append(None)
            return stops
        if info["path"] in seen:
            raise AssertionError(
                f"keyboard trap on {target.url}: the focus went back to {info['tag']} "
                f"“{info['text']}” without leaving the page"
            )
        seen.add(info["path"])
        assert_focus_visible(info, target.url)
        stops.append(info)
    raise AssertionError(f"keyboard trap: {limit} Tabs never left {target.url}")


def test_a_teacher_opens_staffroom_from_the_lms_with_the_keyboard(lms: LmsPage):
    page = lms.page
    lms.open_course_home()
    skip_to_main(page, page)

    teacher = lms.member("teacher")
    tab_until(page, page, text_is(f"^{re.escape(teacher.launch_label)}$"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    launched = lms.wait_for_tool(teacher)
    expect(DashboardPage(launched.frame).heading).to_have_text("Year 8 Science")

    # Into the tool's frame: its own skip link is its first stop.
    stops = tab_until(page, launched.frame, text_is(SKIP_LINK))
    assert_focus_visible(stops[-1], launched.frame.url)
    page.keyboard.press("Enter")
    active = focused(launched.frame)
    assert active is not None
    assert active["id"] == "main"

    # And out again: the frame does not hold the focus (every link of the dashboard's
    # navigation and panels is one stop on the way).
    for _ in range(25):
        page.keyboard.press("Tab")
        if focused(launched.frame) is None:
            break
    else:
        raise AssertionError("the focus never left the Staffroom frame")
    page.keyboard.press("Shift+Tab")
    assert focused(launched.frame) is not None, "Shift+Tab does not go back into the frame"


def test_an_administrator_logs_in_and_adds_a_platform_with_the_keyboard(
    page, live_server, admin_credentials
):
    admin = AdminPage(page, live_server.tool_url)
    admin.open_login()
    skip_to_main(page, page)

    username, password = admin_credentials
    tab_until(page, page, id_is("username"))
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "password"
    page.keyboard.type(password)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(admin.heading).to_have_text("Platforms")

    # The redirect keeps the #main of the skip link, so the focus starts in main here.
    tab_until(page, page, text_is("^Add a platform$"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(admin.heading).to_have_text("Add a platform")

    values = PlatformValues.unique(key_set_url=f"{live_server.tool_url}/demo/jwks.json")
    typed = values.fields()
    order = ["name", "issuer", "client_id", "auth_login_url", "auth_token_url",
             "auth_audience", "key_set_url", "key_set", "deployment_ids"]
    tab_until(page, page, id_is(order[0]))
    for i, field_id in enumerate(order):
        if i:
            page.keyboard.press("Tab")
        active = focused(page)
        assert active is not None
        assert active["id"] == field_id, f"Tab order: expected {field_id}, got {active}"
        assert_focus_visible(active, page.url)
        if field_id in typed:
            page.keyboard.type(typed[field_id])
    page.keyboard.press("Tab")
    submit = focused(page)
    assert submit is not None
    assert (submit["tag"], submit["text"]) == ("button", "Add platform")
    assert_focus_visible(submit, page.url)
    with page.expect_navigation():
        page.keyboard.press("Enter")

    expect(admin.heading).to_have_text("Platforms")
    expect(admin.flash).to_contain_text(f"Platform “{values.name}” registered.")
    assert values.name in admin.platform_names()


def test_the_platform_form_is_no_keyboard_trap(page, live_server, admin_credentials):
    admin = AdminPage(page, live_server.tool_url)
    admin.login(*admin_credentials)
    admin.open_new_platform()

    stops = tab_through_everything(page, page)
    form_stops = [i for i, s in enumerate(stops) if s is not None and s["inForm"]]
    assert form_stops, "Tab never reached the form"
    fields = {stops[i]["id"] for i in form_stops}
    assert {"name", "issuer", "deployment_ids"} <= fields
    after_form = form_stops[-1] + 1
    assert stops[-1] is None, "the focus never left the page"
    next_stop = stops[after_form]
    assert next_stop is None or not next_stop["inForm"], f"Tab stays in the form: {next_stop}"
    # Every link and button on the way showed its focus ring (checked at each stop).
    assert {s["tag"] for s in stops if s} >= {"a", "button", "input", "textarea"}
