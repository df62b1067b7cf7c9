"""Every main page: screenshots at laptop and tablet size, axe-core, and reflow at 200% zoom.

Each page is opened as a person would reach it: the tool's pages from a launch in
the practice LMS, inside the cross-site frame (they are checked in the frame's
own document), the admin pages on the tool's site after logging in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from playwright.sync_api import Frame, Page, expect

from tests.browser.pages.admin import AdminPage
from tests.browser.pages.lms import FRAME, LmsPage
from tests.browser.support import (
    SIZES,
    TABLET_ZOOMED,
    ProblemWatcher,
    assert_accessible,
    assert_no_horizontal_scroll,
    require_chromium,
    screenshot,
)
from tests.browser.test_journeys import launch_error_url

require_chromium()
pytestmark = pytest.mark.browser


@dataclass
class Opened:
    """A main page on screen: the top-level page, and the document to check in it."""

    page: Page
    target: Page | Frame
    framed: bool = False


@dataclass
class Visit:
    page: Page
    live_server: object
    watcher: ProblemWatcher
    credentials: tuple[str, str]

    @property
    def lms(self) -> LmsPage:
        return LmsPage(self.page, self.live_server.lms_url, self.live_server.tool_url)

    def framed(self, role: str) -> Opened:
        launched = self.lms.launch(self.lms.member(role))
        return Opened(self.page, launched.frame, framed=True)

    def admin(self, path: str, heading: str) -> Opened:
        admin = AdminPage(self.page, self.live_server.tool_url)
        admin.login(*self.credentials)
        admin.open(path)
        expect(admin.heading).to_have_text(heading)
        return Opened(self.page, self.page)


def _course_home(v: Visit) -> Opened:
    v.lms.open_course_home()
    return Opened(v.page, v.page)


def _lms_with_tool(v: Visit) -> Opened:
    v.framed("teacher")
    return Opened(v.page, v.page)


def _launch_error(v: Visit) -> Opened:
    opened = v.framed("teacher")
    with v.watcher.expect_status(400, "/lti/login"):
        opened.target.goto(launch_error_url(v.live_server.tool_url))
    expect(opened.target.locator("main h1")).to_have_text("Staffroom could not be opened")
    return opened


def _admin_login(v: Visit) -> Opened:
    AdminPage(v.page, v.live_server.tool_url).open_login()
    return Opened(v.page, v.page)


MAIN_PAGES: dict[str, Callable[[Visit], Opened]] = {
    "lms-course-home": _course_home,
    "lms-with-tool": _lms_with_tool,
    "teacher-dashboard": lambda v: v.framed("teacher"),
    "assistant-dashboard": lambda v: v.framed("teaching assistant"),
    "learner-page": lambda v: v.framed("learner"),
    "launch-error": _launch_error,
    "admin-login": _admin_login,
    "admin-platforms": lambda v: v.admin("/", "Platforms"),
    "admin-add-platform": lambda v: v.admin("/platforms/new", "Add a platform"),
    "admin-setup": lambda v: v.admin("/setup", "Set up Staffroom in your LMS"),
    "admin-keys": lambda v: v.admin("/keys", "Staffroom's signing keys"),
}


def _open(name, new_context, live_server, watcher, admin_credentials, **options) -> Opened:
    page = new_context(**options).new_page()
    return MAIN_PAGES[name](Visit(page, live_server, watcher, admin_credentials))


@pytest.mark.parametrize("name", MAIN_PAGES)
def test_main_page_passes_axe_and_is_photographed(
    name, new_context, live_server, watcher, admin_credentials
):
    opened = _open(name, new_context, live_server, watcher, admin_credentials)
    assert_accessible(opened.target, name)

    for size, viewport in SIZES.items():
        opened.page.set_viewport_size(viewport)
        path = screenshot(opened.page, name, size, FRAME if opened.framed else None)
        assert path.stat().st_size > 0


@pytest.mark.parametrize("name", MAIN_PAGES)
def test_main_page_reflows_at_200_percent_zoom_on_a_tablet(
    name, new_context, live_server, watcher, admin_credentials
):
    opened = _open(
        name, new_context, live_server, watcher, admin_credentials,
        viewport=TABLET_ZOOMED, device_scale_factor=2,
    )
    screenshot(opened.page, name, "tablet-zoom200")
    assert_no_horizontal_scroll(opened.page, name)
    if opened.framed:
        assert_no_horizontal_scroll(opened.target, f"{name} (in the LMS frame)")
