"""Every main page: screenshots at laptop and tablet size, axe-core, and reflow at 200% zoom.

Each page is opened as a person would reach it: the tool's pages from a launch in
the practice LMS, inside the cross-site frame (they are checked in the frame's
own document), the admin pages on the tool's site after logging in.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from playwright.sync_api import Frame, Page, expect

from tests.browser.pages.admin import AdminPage
from tests.browser.pages.lms import FRAME, LmsPage
from tests.browser.pages.planning import PlanningPages
from tests.browser.planning_seed import (  # noqa: F401 (planning_seed: a fixture)
    SEARCH_WORD,
    TEACHER_B,
    PlanningSeed,
    planning_seed,
)
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
    request: pytest.FixtureRequest

    @property
    def seed(self) -> PlanningSeed:
        """The seeded planning space (made on first use: only planning pages pay for it)."""
        return self.request.getfixturevalue("planning_seed")

    @property
    def lms(self) -> LmsPage:
        return LmsPage(self.page, self.live_server.lms_url, self.live_server.tool_url)

    def framed(self, role: str) -> Opened:
        launched = self.lms.launch(self.lms.member(role))
        return Opened(self.page, launched.frame, framed=True)

    def planning(self, path: str, heading: str, role: str = "teacher") -> Opened:
        """A planning page as a teacher of the seeded course (``role`` may be a user id)."""
        seed = self.seed
        opened = self.framed(role)
        pages = PlanningPages(opened.target, self.live_server.tool_url)
        pages.goto(path if path.startswith("/") else seed.course_path(path))
        expect(pages.heading).to_have_text(heading)
        return opened

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


def _dashboard_with_news(v: Visit) -> Opened:
    v.seed  # noqa: B018 (the seeded plans, tasks and mention fill "What's new")
    opened = v.framed("teacher")
    news = PlanningPages(opened.target, v.live_server.tool_url).whats_new
    expect(news.get_by_role("heading", name="Mentions")).to_be_visible()
    expect(news.locator(".task-list .task")).not_to_have_count(0)
    return opened


def _conflict(v: Visit) -> Opened:
    """A save from version 1 of a lesson that a colleague has since saved: the 409 page."""
    lesson = v.seed.lesson_1
    opened = v.planning(lesson.edit, "Edit “Balanced and unbalanced forces”")
    pages = PlanningPages(opened.target, v.live_server.tool_url)
    opened.target.locator("input[name=version]").evaluate("el => { el.value = '1'; }")
    # The form holds the colleague's version 2; change the line they changed, differently.
    pages.edit_body(lambda text: text.replace(
        "five everyday situations, then swap and check.",
        "six everyday situations, drawn on mini whiteboards."))
    with v.watcher.expect_status(409, lesson.edit):
        pages.save()
    alert = opened.target.get_by_role("alert")
    expect(alert).to_contain_text("Tomasz Nowak saved this plan while you were editing")
    expect(alert).to_contain_text("the same lines in 1 place")
    return opened


def _unit(v: Visit) -> Opened:
    opened = v.planning(v.seed.unit.view, "Forces and motion")
    # The checklist's boxes are named by their items and can be ticked here.
    box = opened.target.get_by_role("checkbox", name="Trolleys and spring balances booked")
    expect(box).to_be_enabled()
    expect(box).to_have_attribute("aria-checked", "false")
    return opened


def _choose_template(v: Visit) -> Opened:
    opened = v.planning(f"{v.seed.space_path}plans/new", "New plan")
    expect(opened.target.locator(".template-card")).not_to_have_count(0)
    return opened


def _editor(v: Visit, path: str, heading: str) -> Opened:
    """A form whose Markdown boxes are the document editor, with the caret in a table."""
    opened = v.planning(path, heading)
    editor = PlanningPages(opened.target, v.live_server.tool_url).editor("body")
    editor.content.locator("td").first.click()
    expect(editor.tool("Add a row below")).to_be_visible()
    return opened


def _comment_edit(v: Visit) -> Opened:
    opened = v.planning(v.seed.unit.view, "Forces and motion")
    pages = PlanningPages(opened.target, v.live_server.tool_url)
    pages.follow(pages.comments.first.get_by_role("link", name=re.compile("^Edit")))
    expect(pages.heading).to_have_text("Edit your comment on “Forces and motion”")
    pages.editor("body").ready()
    return opened


def _search(v: Visit) -> Opened:
    opened = v.planning(f"search?q={SEARCH_WORD}", "Search")
    expect(opened.target.locator(".search-hit mark").first).to_be_visible()
    return opened


def _admin_login(v: Visit) -> Opened:
    AdminPage(v.page, v.live_server.tool_url).open_login()
    return Opened(v.page, v.page)


MAIN_PAGES: dict[str, Callable[[Visit], Opened]] = {
    "lms-course-home": _course_home,
    "lms-with-tool": _lms_with_tool,
    "teacher-dashboard": _dashboard_with_news,
    "assistant-dashboard": lambda v: v.framed("teaching assistant"),
    "learner-page": lambda v: v.framed("learner"),
    "launch-error": _launch_error,
    "planning-spaces": lambda v: v.planning("spaces/", "Planning spaces", TEACHER_B.user_id),
    "planning-space-home": lambda v: v.planning(
        v.seed.space_path, "Year 8 Science", TEACHER_B.user_id),
    "planning-unit": _unit,
    "planning-choose-template": _choose_template,
    "planning-new-unit": lambda v: _editor(
        v, f"{v.seed.space_path}plans/new?template=builtin:unit", "New unit"),
    "planning-edit": lambda v: v.planning(
        v.seed.lesson_1.edit, "Edit “Balanced and unbalanced forces”"),
    "comment-edit": _comment_edit,
    "planning-conflict": _conflict,
    "planning-history": lambda v: v.planning(
        v.seed.lesson_1.history, "History of “Balanced and unbalanced forces”"),
    "planning-revision": lambda v: v.planning(
        v.seed.lesson_1.revision(2), "Version 2 of “Balanced and unbalanced forces”"),
    "planning-print": lambda v: v.planning(v.seed.unit.view + "/print", "Forces and motion"),
    "planning-templates": lambda v: v.planning(v.seed.space_path + "templates", "Templates"),
    "planning-members": lambda v: v.planning(
        f"spaces/{v.seed.team_space_id}/members", "Members of Year 8 science team"),
    "my-tasks": lambda v: v.planning("tasks/", "My tasks"),
    "search-results": _search,
    "admin-login": _admin_login,
    "admin-platforms": lambda v: v.admin("/", "Platforms"),
    "admin-add-platform": lambda v: v.admin("/platforms/new", "Add a platform"),
    "admin-setup": lambda v: v.admin("/setup", "Set up Staffroom in your LMS"),
    "admin-keys": lambda v: v.admin("/keys", "Staffroom's signing keys"),
}


def _open(name, new_context, live_server, watcher, admin_credentials, request,
          **options) -> Opened:
    page = new_context(**options).new_page()
    return MAIN_PAGES[name](Visit(page, live_server, watcher, admin_credentials, request))


@pytest.mark.parametrize("name", MAIN_PAGES)
def test_main_page_passes_axe_and_is_photographed(
    name, new_context, live_server, watcher, admin_credentials, request
):
    opened = _open(name, new_context, live_server, watcher, admin_credentials, request)
    assert_accessible(opened.target, name)

    for size, viewport in SIZES.items():
        opened.page.set_viewport_size(viewport)
        path = screenshot(opened.page, name, size, FRAME if opened.framed else None)
        assert path.stat().st_size > 0


@pytest.mark.parametrize("name", MAIN_PAGES)
def test_main_page_reflows_at_200_percent_zoom_on_a_tablet(
    name, new_context, live_server, watcher, admin_credentials, request
):
    opened = _open(
        name, new_context, live_server, watcher, admin_credentials, request,
        viewport=TABLET_ZOOMED, device_scale_factor=2,
    )
    screenshot(opened.page, name, "tablet-zoom200")
    assert_no_horizontal_scroll(opened.page, name)
    if opened.framed:
        assert_no_horizontal_scroll(opened.target, f"{name} (in the LMS frame)")
