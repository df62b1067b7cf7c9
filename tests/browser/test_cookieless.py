"""A launch from the practice LMS in a browser that refuses every cookie of the tool (issue 14).

Every request of the tool's origin goes through a route that sends no ``Cookie``
and drops every ``Set-Cookie`` (Safari in a cross-site frame, or Chrome with all
cookies blocked for the site): the launch's state goes through the practice
LMS's platform storage (``lti.put_data`` / ``lti.get_data``), and the session
after it is the signed token the pages carry. The teacher reaches the dashboard,
saves a plan (with its autosave), and the frame fits its page (``lti.frameResize``).
"""

from __future__ import annotations

import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import BrowserContext, Frame, Page, Route, expect

from lti_tool.demo import roster
from tests.browser.pages.lms import LmsPage
from tests.browser.pages.planning import PlanningPages, tag
from tests.browser.support import (
    TABLET,
    assert_accessible,
    require_chromium,
    screenshot,
)

require_chromium()
pytestmark = pytest.mark.browser

AUTOSAVE_WAIT = 15_000
# Headers a browser computes itself; urllib sets its own.
_HOP = {"host", "content-length", "connection", "accept-encoding", "cookie"}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None  # the browser follows redirects itself


_OPENER = urllib.request.build_opener(_NoRedirect)


class CookieRefusal:
    """The tool's origin, reached without any cookie: none sent, none kept."""

    def __init__(self) -> None:
        self.dropped: list[str] = []  # Set-Cookie headers the server sent and the browser lost
        self.pages: list[str] = []  # the tool's HTML pages, as served

    def __call__(self, route: Route) -> None:
        request = route.request
        headers = {k: v for k, v in request.all_headers().items()
                   if k.lower() not in _HOP and not k.startswith(":")}
        outgoing = urllib.request.Request(  # noqa: S310 (the test's own server)
            request.url, data=request.post_data_buffer, headers=headers, method=request.method)
        try:
            with _OPENER.open(outgoing, timeout=30) as response:
                status, answer, body = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, answer, body = error.code, error.headers, error.read()
        self.dropped += answer.get_all("Set-Cookie") or []
        kept = {k: v for k, v in answer.items()
                if k.lower() not in ("set-cookie", "content-length", "transfer-encoding")}
        if kept.get("Content-Type", "").startswith("text/html"):
            self.pages.append(urlsplit(request.url).path)
        route.fulfill(status=status, headers=kept, body=body)


def refuse_cookies(context: BrowserContext, tool_url: str) -> CookieRefusal:
    """Route every request of the tool's origin through :class:`CookieRefusal`.

    A response the route fulfils has no server address, so Chromium's Local Network
    Access checks take the tool's pages for public ones and would block their frame's
    navigation to the LMS on localhost; the permission restores what the real pages
    (both on loopback) are allowed without it.
    """
    refusal = CookieRefusal()
    context.route(f"{tool_url}/**", refusal)
    context.grant_permissions(["local-network-access"])
    return refusal


def fitted(page: Page, frame: Frame) -> None:
    """Wait until the LMS has sized the frame to the page and the frame has painted it."""
    page.wait_for_function(
        "() => document.querySelector('iframe.lms-frame').style.height !== ''")
    frame.wait_for_load_state("networkidle")
    frame.wait_for_function("() => document.documentElement.scrollHeight <= window.innerHeight")
    page.evaluate("() => window.scrollTo(0, 0)")
    page.wait_for_timeout(500)  # the cross-site frame's paint, for the full-page screenshot


@pytest.fixture
def refused(new_context, live_server) -> tuple[BrowserContext, CookieRefusal]:
    context = new_context()
    return context, refuse_cookies(context, live_server.tool_url)


def test_a_launch_without_any_cookie_reaches_the_dashboard_and_saves_a_plan(
    refused, live_server
):
    context, refusal = refused
    page = context.new_page()
    lms = LmsPage(page, live_server.lms_url, live_server.tool_url)
    launched = lms.launch(lms.member("teacher"))
    frame = launched.frame

    # The dashboard, through the platform storage: no cookie was ever sent or kept.
    expect(frame.locator("main h1")).to_have_text(roster.COURSE.title)
    assert "/lti/login" in refusal.pages
    assert refusal.pages.count("/lti/launch") == 2  # the launch, then its storage check
    assert any("staffroom_session" in c for c in refusal.dropped)  # offered, refused
    assert not [c for c in context.cookies() if c["domain"] == "127.0.0.1"]
    token = frame.locator('meta[name="staffroom-session"]').get_attribute("content")
    assert token
    # The address in the frame's history carries the session: a reload keeps working.
    assert parse_qs(urlsplit(frame.url).query).get("_st") == [token]

    # A link within the page stays one (the skip link): no reload, no token added.
    here = frame.url
    frame.locator("a.skip-link").dispatch_event("click")
    expect(frame.locator("a.skip-link")).to_have_attribute("href", "#main")
    assert frame.url.split("#")[0] == here.split("#")[0]

    # "Back to the course" goes to the practice LMS's course page, out of the frame.
    back = frame.get_by_role("link", name="Back to the course")
    course_page = f"{live_server.lms_url}/demo/?as={launched.member.user_id}"
    expect(back).to_have_attribute("href", course_page)
    expect(back).to_have_attribute("target", "_top")

    # lti.frameResize: the LMS gave the frame the page's height, so it needs no scroll bar.
    fitted(page, frame)
    assert frame.evaluate("() => window.innerHeight") > 768  # taller than the LMS window

    assert_accessible(frame, "dashboard without cookies")
    assert_accessible(page, "practice LMS around the cookieless frame")
    screenshot(page, "cookieless-dashboard", "laptop")

    # A plan, saved: every page of the visit comes with the token, never with a cookie.
    teacher = PlanningPages(frame, live_server.tool_url)
    t = tag()
    teacher.open_course_space_from_dashboard()
    ref = teacher.create_plan("Blank note", title=f"Cookieless rota {t}", body="Monday: Amara")
    expect(teacher.flash).to_contain_text(f"“Cookieless rota {t}” is created.")
    expect(teacher.heading).to_have_text(f"Cookieless rota {t}")

    # The editor's autosave is a background request: it carries the token in its header.
    teacher.follow(teacher.link("Edit"))
    teacher.type_at_end(teacher.markdown_source(), f"\nTuesday: Tomasz {t}")
    expect(teacher.autosave_status).to_contain_text("Saved as draft at", timeout=AUTOSAVE_WAIT)
    teacher.save()
    expect(teacher.heading).to_have_text(f"Cookieless rota {t}")
    expect(frame.locator("main")).to_contain_text(f"Tuesday: Tomasz {t}")
    assert ref.plan_id > 0
    fitted(page, frame)
    screenshot(page, "cookieless-plan", "laptop")
    assert_accessible(frame, "plan page without cookies")
    assert not [c for c in context.cookies() if c["domain"] == "127.0.0.1"]


def test_the_cookieless_dashboard_fits_a_tablet(new_context, live_server):
    context = new_context(viewport=TABLET)
    refuse_cookies(context, live_server.tool_url)
    page = context.new_page()
    lms = LmsPage(page, live_server.lms_url, live_server.tool_url)
    launched = lms.launch(lms.member("teacher", 1))
    expect(launched.frame.locator('meta[name="staffroom-session"]')).to_have_count(1)
    expect(launched.frame.locator("main h1")).to_have_text(roster.COURSE.title)
    fitted(page, launched.frame)
    screenshot(page, "cookieless-dashboard", "tablet")
    assert_accessible(launched.frame, "dashboard without cookies (tablet)")
