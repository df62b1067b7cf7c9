"""The safety nets of the browser suite catch what they are there to catch.

Each check is shown a page that breaks its rule; a check that let these pass would
let every other browser test pass for nothing.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.browser import support
from tests.browser.support import (
    assert_accessible,
    assert_focus_visible,
    assert_no_horizontal_scroll,
    focused,
    require_chromium,
)
from tests.browser.test_keyboard import tab_through_everything

require_chromium()
pytestmark = pytest.mark.browser


def test_the_watcher_reports_errors_failed_requests_and_unexpected_statuses(
    page, live_server, watcher
):
    page.goto(live_server.tool_url + "/no-such-page")
    page.evaluate("console.error('something broke')")
    page.goto(live_server.tool_url + "/admin/login")
    page.evaluate("document.body.innerHTML = '<p onclick=\"x()\">inline</p>'")
    blank = page.context.new_page()  # about:blank: no Content-Security-Policy
    blank.set_content("<p>x</p><script>throw new Error('uncaught boom')</script>")
    blank.evaluate("fetch('http://127.0.0.1:9/unreachable').catch(() => {})")
    blank.wait_for_timeout(300)

    found = "\n".join(watcher.problems)
    assert "HTTP 404 from GET " + live_server.tool_url + "/no-such-page" in found
    assert "console error: something broke" in found
    assert "Content Security Policy" in found  # an inline handler on a Staffroom page
    assert "uncaught boom" in found
    assert "request failed: GET http://127.0.0.1:9/unreachable" in found
    with pytest.raises(AssertionError, match="Problems in the browser"):
        watcher.check()
    watcher.problems.clear()


def test_the_tools_frame_stays_in_the_lms_pages_process(browser, launch):
    """A launch's frame is cross-site to the LMS but is not moved to a process of its own.

    Moving it is where Playwright lost track of the frame on a busy CI machine (see
    ``support.CHROMIUM_ARGS``); with the frame in the page's process there is no move.
    """
    launched = launch("teacher")
    hosts = {urlsplit(launched.page.url).hostname, urlsplit(launched.frame.url).hostname}
    assert hosts == {"localhost", "127.0.0.1"}  # two sites
    cdp = browser.new_browser_cdp_session()
    try:
        kinds = [target["type"] for target in cdp.send("Target.getTargets")["targetInfos"]]
    finally:
        cdp.detach()
    assert "page" in kinds
    assert "iframe" not in kinds, kinds


def test_an_expected_status_that_never_comes_is_reported(page, live_server, watcher):
    with watcher.expect_status(403, "/healthz"):
        page.goto(live_server.tool_url + "/healthz")
    assert watcher.problems == ["expected HTTP 403 from /healthz, but it never came"]
    watcher.problems.clear()


def test_only_the_failures_caused_on_purpose_are_taken_off_the_list(page, watcher):
    page.set_content("<p>about:blank, no Content-Security-Policy</p>")
    page.evaluate("fetch('http://127.0.0.1:9/offline-on-purpose').catch(() => {})")
    page.evaluate("fetch('http://127.0.0.1:9/not-on-purpose').catch(() => {})")
    page.wait_for_timeout(300)
    taken = watcher.caused_on_purpose("/offline-on-purpose", "request failed: GET")
    assert len(taken) == 1
    assert "/offline-on-purpose" in taken[0]
    assert watcher.caused_on_purpose("/not-on-purpose", "ERR_INTERNET_DISCONNECTED") == []
    assert [p for p in watcher.problems if "/not-on-purpose" in p]
    with pytest.raises(AssertionError, match="not-on-purpose"):
        watcher.check()
    watcher.problems.clear()


def test_axe_reports_serious_violations(page):
    page.set_content(
        '<html><head><title>t</title></head><body><main><h1>x</h1>'
        '<input type="text"><img src="data:,"><a href="/x"></a></main></body></html>'
    )
    with pytest.raises(AssertionError, match="label|image-alt|link-name"):
        assert_accessible(page, "a broken page")


def test_a_missing_focus_ring_and_sideways_scrolling_are_caught(page):
    page.set_content(
        "<style>button:focus { outline: none; }</style>"
        "<button>Plain</button><div style='width: 3000px'>wide</div>"
    )
    page.keyboard.press("Tab")
    with pytest.raises(AssertionError, match="no visible focus outline"):
        assert_focus_visible(focused(page), "test page")
    with pytest.raises(AssertionError, match="scrolls sideways"):
        assert_no_horizontal_scroll(page, "test page")


def test_a_keyboard_trap_is_caught(page):
    page.set_content(
        "<input id=a><input id=b>"
        "<script>document.getElementById('b').addEventListener('keydown', e => {"
        " if (e.key === 'Tab') { e.preventDefault(); document.getElementById('a').focus(); }"
        " });</script>"
    )
    page.keyboard.press("Tab")
    with pytest.raises(AssertionError, match="keyboard trap"):
        tab_through_everything(page, page, limit=10)


@pytest.mark.parametrize(("in_ci", "outcome"), [(False, pytest.skip.Exception),
                                                (True, pytest.fail.Exception)])
def test_without_chromium_the_suite_skips_but_ci_fails(monkeypatch, tmp_path, in_ci, outcome):
    monkeypatch.setattr(support, "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.setattr(support, "IN_CI", in_ci)
    with pytest.raises(outcome, match="apt-get install chromium"):
        support.require_chromium()
