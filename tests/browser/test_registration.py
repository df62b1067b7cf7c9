"""Dynamic registration end to end: the practice LMS registers Staffroom by URL.

An administrator makes a one-time registration link on Staffroom's set-up page; the
LMS administrator (another browser) pastes it into the practice LMS's "Register a
tool by URL", which opens it in a cross-site frame with its OpenID configuration and
a registration token. Staffroom registers itself and posts ``org.imsglobal.lti.close``;
the registration waits until the administrator activates it, and then a launch
through it reaches the course dashboard. Also through a new window, where the
administrator's own sign-in is enough.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.pages.admin import AdminPage
from tests.browser.pages.lms import LmsPage
from tests.browser.support import (
    LAPTOP,
    TABLET,
    assert_accessible,
    require_chromium,
    screenshot,
)

require_chromium()
pytestmark = pytest.mark.browser

FRAME = "iframe.lms-registration-frame"


def make_link(admin: AdminPage) -> str:
    admin.open("/setup")
    admin.page.get_by_role("button", name="Make a registration link").click()
    link = admin.page.locator("#new-registration-link")
    expect(link).to_be_visible()
    return link.inner_text().strip()


def registered_client_id(lms_page: Page) -> str:
    item = lms_page.locator(".lms-tools li").first
    match = re.search(r"client ID (practice-dr-[0-9a-f]+)", item.inner_text())
    assert match, item.inner_text()
    return match.group(1)


def activate(admin: AdminPage, client_id: str) -> None:
    admin.open("/")
    row = admin.page.locator("tbody tr", has=admin.page.get_by_text(client_id))
    expect(row.locator(".status")).to_have_text("Pending activation")
    row.get_by_role("button", name=re.compile("^Activate")).click()
    expect(admin.flash).to_contain_text("activated: its launches work from now on")
    expect(row.locator(".status")).to_have_text("Active")


def test_the_practice_lms_registers_staffroom_in_a_cross_site_frame(
    page, new_context, live_server, admin_credentials, watcher
):
    admin = AdminPage(page, live_server.tool_url)
    admin.login(*admin_credentials)
    link = make_link(admin)
    assert_accessible(admin.page, "the set-up page with a new registration link")
    screenshot(admin.page, "registration-setup-link", "laptop")

    # The LMS administrator's browser: no Staffroom session, only the link.
    lms_page = new_context().new_page()
    lms_page.goto(f"{live_server.lms_url}/demo/register-tool")
    lms_page.get_by_label("Tool registration URL").fill(link)
    lms_page.get_by_role("button", name="Register the tool").click()
    frame = lms_page.frame_locator(FRAME)
    expect(frame.locator("h1")).to_contain_text("Register Staffroom in")
    expect(frame.locator("body")).to_contain_text("waits until a Staffroom administrator")
    handle = lms_page.locator(FRAME).element_handle()
    tool_frame = handle.content_frame()
    assert tool_frame is not None
    assert tool_frame.url.startswith(live_server.tool_url + "/lti/register?")
    assert_accessible(lms_page, "the practice LMS's register-a-tool page")
    assert_accessible(tool_frame, "the registration page in the LMS frame")
    screenshot(lms_page, "registration-confirm-in-lms", "laptop")
    lms_page.set_viewport_size(TABLET)
    screenshot(lms_page, "registration-confirm-in-lms", "tablet")
    lms_page.set_viewport_size(LAPTOP)

    frame.get_by_role("button", name="Register Staffroom").click()
    # The tool's close message makes the LMS close the frame and show its tools.
    lms_page.wait_for_url(re.compile(r"/demo/register-tool\?done=1$"))
    expect(lms_page.locator(FRAME)).to_have_count(0)
    expect(lms_page.get_by_role("status")).to_contain_text("finished the registration")
    client_id = registered_client_id(lms_page)
    screenshot(lms_page, "registration-done-in-lms", "laptop")

    # Pending: a launch through the new registration is refused, saying why.
    launch_link = lms_page.get_by_role("link", name=re.compile("with this registration")).first
    with watcher.expect_status(403, "/lti/login"):
        launch_link.click()
        tool = lms_page.frame_locator("iframe.lms-frame")
        expect(tool.locator(".error-reason")).to_contain_text(
            "waits for a Staffroom administrator to activate it")
    screenshot(lms_page, "registration-pending-launch", "laptop")

    admin.open("/")
    assert_accessible(admin.page, "the platforms page with a pending registration")
    admin.open("/setup/moodle")
    assert_accessible(admin.page, "the Moodle set-up page")
    screenshot(admin.page, "registration-moodle-setup", "laptop")
    activate(admin, client_id)
    assert_accessible(admin.page, "the platforms page after activation")
    screenshot(admin.page, "registration-activated", "laptop")

    lms = LmsPage(lms_page, live_server.lms_url, live_server.tool_url)
    lms_page.goto(f"{live_server.lms_url}/demo/register-tool")
    lms_page.get_by_role("link", name=re.compile("with this registration")).first.click()
    launched = lms.wait_for_tool(lms.member("teacher"))
    assert launched.course_id > 0  # the course dashboard
    expect(launched.frame_locator.locator("h1")).to_contain_text("Year 8 Science")
    screenshot(lms_page, "registration-launch-dashboard", "laptop")


def test_a_signed_in_administrator_registers_through_a_new_window(
    page, live_server, admin_credentials, watcher
):
    admin = AdminPage(page, live_server.tool_url)
    admin.login(*admin_credentials)
    # The same browser: the new window is first-party on the tool's site, so the
    # administrator's sign-in is enough and the plain registration URL works.
    lms_page = page.context.new_page()
    lms_page.goto(f"{live_server.lms_url}/demo/register-tool")
    lms_page.get_by_label("Tool registration URL").fill(f"{live_server.tool_url}/lti/register")
    lms_page.get_by_label("in a new window").check()
    lms_page.get_by_role("button", name="Register the tool").click()
    with lms_page.expect_popup() as opened:
        lms_page.get_by_role("button", name="Open the registration window").click()
    window = opened.value
    expect(window.locator("h1")).to_contain_text("Register Staffroom in")
    expect(window.locator("body")).to_contain_text("Started by administrator")
    screenshot(window, "registration-confirm-window", "laptop")
    window.get_by_role("button", name="Register Staffroom").click()
    lms_page.wait_for_url(re.compile(r"/demo/register-tool\?done=1$"))
    assert window.is_closed()  # the LMS closed the window on the tool's close message
    # Closing the window cancels what it was still loading (its scripts): not a fault.
    watcher.caused_on_purpose("/static/", "ERR_ABORTED")
    client_id = registered_client_id(lms_page)
    admin.open("/")
    row = admin.page.locator("tbody tr", has=admin.page.get_by_text(client_id))
    expect(row).to_contain_text("administrator " + admin_credentials[0])
    expect(row.locator(".status")).to_have_text("Pending activation")
