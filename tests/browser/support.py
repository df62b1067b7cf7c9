"""What every browser test shares: the Chromium check, the problem watcher, axe, layout.

Kept apart from ``conftest.py`` so that page objects and tests can import it.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext, ConsoleMessage, Frame, Page, Request, Response
from playwright.sync_api import Error as PlaywrightError

CHROMIUM = Path("/usr/bin/chromium")
# The flags of the issue: no background traffic, no GPU, no first-run UI, no QUIC.
# And one process for a page and its frames: the tool's frame is cross-site to the practice
# LMS, so with site isolation Chromium moves it to another renderer process at each launch's
# form post, and on a busy machine Playwright can lose track of the frame during that move
# (CI: "the frame is at no page" for 20 s while the server had served the page). Site
# isolation is a defence between processes; a page cannot observe it, and cookies, their
# partitions and postMessage behave the same without it.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-site-isolation-trials",
]
IN_CI = os.environ.get("CI", "").lower() == "true"
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"

LAPTOP = {"width": 1366, "height": 768}
TABLET = {"width": 820, "height": 1180}
# A tablet at 200% zoom: half the CSS pixels at twice the density, which is how reflow
# (WCAG 1.4.10) is tested: the page must fit 410 CSS pixels without sideways scrolling.
TABLET_ZOOMED = {"width": 410, "height": 590}
SIZES = {"laptop": LAPTOP, "tablet": TABLET}

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING_IMPACTS = {"serious", "critical"}
FAVICONS = {"/static/favicon.svg", "/favicon.ico"}


def require_chromium() -> None:
    """Skip the calling module without Debian's Chromium; in CI its absence is a failure."""
    if CHROMIUM.exists():
        return
    message = (
        f"{CHROMIUM} is missing: the browser tests drive Debian's Chromium "
        "(apt-get install chromium)."
    )
    if IN_CI:
        pytest.fail(message + " CI must run them.", pytrace=False)
    pytest.skip(message, allow_module_level=True)


# --------------------------------------------------------------------------- problems


@dataclass
class ProblemWatcher:
    """Collects every JavaScript error, failed request and unexpected HTTP error of a context.

    A test that means to see an error status says so with :meth:`expect_status`, and
    takes the failures it caused on purpose off the list with :meth:`caused_on_purpose`;
    anything else that goes wrong in the browser fails the test at teardown.
    """

    problems: list[str] = field(default_factory=list)
    expected: list[tuple[int, str]] = field(default_factory=list)

    def attach(self, context: BrowserContext) -> None:
        context.on("console", self._on_console)
        context.on("weberror", lambda error: self.problems.append(f"page error: {error.error}"))
        context.on("requestfailed", self._on_request_failed)
        context.on("response", self._on_response)

    @contextmanager
    def expect_status(self, status: int, path: str) -> Iterator[None]:
        """Allow one ``status`` answer from a URL whose path is ``path`` inside the block."""
        entry = (status, path)
        self.expected.append(entry)
        try:
            yield
        finally:
            if entry in self.expected:
                self.expected.remove(entry)
                self.problems.append(f"expected HTTP {status} from {path}, but it never came")

    def caused_on_purpose(self, path: str, *markers: str) -> list[str]:
        """Take the failures a test caused on purpose at ``path`` off the list; return them.

        For failures that cannot be announced beforehand with :meth:`expect_status`: a
        request made while the test had the browser offline, a link that turns into a
        download. Only problems about ``path`` that carry one of ``markers`` go; any
        other problem stays listed and fails the test.
        """
        taken = [p for p in self.problems if path in p and any(m in p for m in markers)]
        for problem in taken:
            self.problems.remove(problem)
        return taken

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        # Chromium also logs every HTTP error status as a console error; those are judged by
        # _on_response, which knows which of them the test expected.
        if message.text.startswith("Failed to load resource: the server responded with a status"):
            return
        where = message.location.get("url", "") if message.location else ""
        self.problems.append(f"console error: {message.text} ({where})")

    def _on_request_failed(self, request: Request) -> None:
        # Chromium cancels a page's icon request when the page navigates on: not a fault.
        if request.failure == "net::ERR_ABORTED" and urlsplit(request.url).path in FAVICONS:
            return
        try:
            where = f" (for the page at {request.frame.url})"
        except PlaywrightError:
            where = ""
        self.problems.append(
            f"request failed: {request.method} {request.url}: {request.failure}{where}")

    def _on_response(self, response: Response) -> None:
        if response.status < 400:
            return
        entry = (response.status, urlsplit(response.url).path)
        if entry in self.expected:
            self.expected.remove(entry)
            return
        self.problems.append(
            f"HTTP {response.status} from {response.request.method} {response.url}"
        )

    def check(self) -> None:
        assert not self.problems, "Problems in the browser:\n" + "\n".join(self.problems)


# --------------------------------------------------------------------------- pages

Target = Page | Frame


def screenshot(page: Page, name: str, size: str, element_selector: str | None = None) -> Path:
    """Save ``test-artifacts/screenshots/<name>-<size>.png`` (the element only, if given)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}-{size}.png"
    if element_selector:
        page.locator(element_selector).screenshot(path=str(path))
    else:
        page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(target: Target) -> list[dict]:
    """Serious and critical WCAG 2.1 A/AA violations of this document (not its iframes).

    Frames are checked one by one (each document gets its own run), so a cross-site
    tool frame is judged on its own page rather than left out.
    """
    from axe_playwright_python.sync_playwright import Axe

    options = {
        "runOnly": {"type": "tag", "values": WCAG_TAGS},
        "resultTypes": ["violations"],
        "iframes": False,
    }
    results = Axe().run(target, options=options)
    return [v for v in results.response["violations"] if v.get("impact") in BLOCKING_IMPACTS]


def describe_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {', '.join(map(str, node['target']))}: {node['failureSummary']}")
    return "\n".join(lines)


def assert_accessible(target: Target, name: str) -> None:
    violations = axe_violations(target)
    assert not violations, f"axe-core on {name} ({target.url}):\n" + describe_violations(
        violations
    )


def horizontal_overflow(target: Target) -> dict[str, int]:
    """The document's scroll width against the viewport width (the frame's, in a frame)."""
    return target.evaluate(
        "() => ({scrollWidth: document.documentElement.scrollWidth,"
        " innerWidth: window.innerWidth})"
    )


def assert_no_horizontal_scroll(target: Target, name: str) -> None:
    sizes = horizontal_overflow(target)
    assert sizes["scrollWidth"] <= sizes["innerWidth"], (
        f"{name} scrolls sideways at {sizes['innerWidth']} CSS pixels: content is "
        f"{sizes['scrollWidth']} wide ({target.url})"
    )


# --------------------------------------------------------------------------- keyboard

FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) { return null; }
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  const path = [];
  for (let node = el; node.parentElement; node = node.parentElement) {
    path.unshift([...node.parentElement.children].indexOf(node));
  }
  return {
    path: path.join('/'),
    tag: el.tagName.toLowerCase(),
    id: el.id,
    text: (el.innerText || el.value || el.getAttribute('aria-label') || '').trim(),
    href: el.getAttribute('href'),
    type: el.getAttribute('type'),
    inForm: !!el.closest('form:not(.inline-form)'),
    isFrame: el.tagName === 'IFRAME',
    outlineStyle: style.outlineStyle,
    outlineWidth: parseFloat(style.outlineWidth) || 0,
    visible: box.width > 0 && box.height > 0 && box.bottom > 0 && box.right > 0
      && box.top < window.innerHeight && box.left < window.innerWidth,
  };
}"""


def focused(target: Target) -> dict | None:
    """What has the keyboard focus in this document (None for nothing or the body)."""
    return target.evaluate(FOCUSED)


def assert_focus_visible(info: dict | None, where: str) -> None:
    """A focused link or button shows a focus ring (WCAG 2.4.7)."""
    assert info is not None, f"nothing has the focus on {where}"
    if info["tag"] in {"a", "button", "input", "textarea", "select"}:
        ring = (info["outlineStyle"], info["outlineWidth"])
        missing = f"no visible focus outline on {info['tag']} “{info['text']}” ({where})"
        assert ring[0] != "none", missing
        assert ring[1] > 0, missing
        assert info["visible"], f"the focused {info['tag']} “{info['text']}” is off screen"


def tab_until(page: Page, target: Target, matches, limit: int = 40) -> list[dict]:
    """Press Tab until the focused element of ``target`` satisfies ``matches``.

    Returns every stop on the way (each checked for a visible focus ring), the last one
    being the match; fails after ``limit`` presses.
    """
    stops: list[dict] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        info = focused(target)
        if info is not None and not info["isFrame"]:
            assert_focus_visible(info, target.url)
            stops.append(info)
            if matches(info):
                return stops
    raise AssertionError(
        f"Tab never reached the element on {target.url}; stops: "
        + ", ".join(f"{s['tag']} “{s['text']}”" for s in stops)
    )


def text_is(pattern: str):
    regex = re.compile(pattern)
    return lambda info: bool(regex.search(info["text"]))


def id_is(element_id: str):
    return lambda info: info["id"] == element_id


FRAME_URL_TIMEOUT = 20.0


def wait_for_frame_url(page: Page, frame_selector: str, matches, what: str) -> Frame:
    """Wait until the frame ``frame_selector`` has loaded a document whose address ``matches``.

    Asks the document itself (``location.href``) each time, through the iframe element,
    rather than waiting for Playwright's navigation event: when a frame's document moves
    from the LMS's site (the form post of a launch) to the tool's (another site: an
    out-of-process frame), that event can be missed on a busy machine, and the Frame then
    still reports the LMS's address while the tool's page is on screen.
    """
    document = page.frame_locator(frame_selector).locator(":root")
    deadline = time.monotonic() + FRAME_URL_TIMEOUT
    url, loaded = "", False
    while True:
        try:
            url, loaded = document.evaluate(
                "() => [location.href, document.readyState === 'complete']", timeout=2_000)
        except PlaywrightError:
            url, loaded = "", False  # between two documents
        if url and loaded and matches(url):
            frame = page.locator(frame_selector).element_handle().content_frame()
            assert frame is not None, f"{frame_selector} is not a frame"
            return frame
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{what}: after {FRAME_URL_TIMEOUT:.0f} s the frame is at {url or 'no page'}")
        page.wait_for_timeout(100)


def wait_for_frame_to_settle(page: Page, frame_selector: str, limit: float = 5.0) -> None:
    """Wait until the frame's height holds still (lti.frameResize after a change of size).

    After a test changes the window's size (to photograph a page at a tablet's size, say),
    the tool asks the LMS for a new frame height and the LMS resizes the frame a moment
    later; a click aimed before that moment can land where the button no longer is.
    """
    frame = page.locator(frame_selector)
    deadline = time.monotonic() + limit
    last = None
    while time.monotonic() < deadline:
        height = frame.evaluate("el => el.getBoundingClientRect().height")
        if height == last:
            return
        last = height
        page.wait_for_timeout(150)


def photograph_frame(frame: Frame, frame_selector: str, name: str) -> None:
    """axe-core on the framed page, then its screenshots from the top at every size.

    The window goes back to a laptop's size afterwards, and the frame is left to settle
    at the height the tool asks for before the test goes on.
    """
    assert_accessible(frame, name)
    frame.evaluate("() => { document.activeElement?.blur(); window.scrollTo(0, 0); }")
    page = frame.page
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        assert screenshot(page, name, size, frame_selector).stat().st_size > 0
    page.set_viewport_size(LAPTOP)
    wait_for_frame_to_settle(page, frame_selector)


def photograph_page(page: Page, name: str) -> None:
    """axe-core on a top-level page (the admin's), then its screenshots at every size."""
    assert_accessible(page, name)
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        assert screenshot(page, name, size).stat().st_size > 0
    page.set_viewport_size(LAPTOP)
