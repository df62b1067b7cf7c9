"""The course roster from the practice LMS (NRPS), in the cross-site iframe.

A teacher of the second course launches; the roster is read after the page is sent, and
the dashboard then shows every colleague of that course (and no one from the other), and
when the roster was synced. The practice LMS's People page removes someone from a course.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from lti_tool.demo import roster
from tests.browser.pages.dashboard import DashboardPage
from tests.browser.support import SCREENSHOTS, assert_accessible, require_chromium, screenshot

require_chromium()
pytestmark = pytest.mark.browser

HISTORY = roster.SECOND_COURSE


def _wait_for_roster(dashboard: DashboardPage, timeout: float = 20) -> None:
    """The sync runs after the launch's page was sent: reload until the dashboard has it."""
    deadline = time.monotonic() + timeout
    while "Roster last synced" not in dashboard.frame.locator("main").inner_text():
        assert time.monotonic() < deadline, "the roster was never synced after the launch"
        time.sleep(0.3)
        dashboard.reload()


def test_a_launch_brings_in_the_whole_roster_of_the_second_course(launch):
    launched = launch("1005", HISTORY.title)  # Daniel Osei teaches only Year 8 History
    dashboard = DashboardPage(launched.frame)
    expect(dashboard.heading).to_have_text(HISTORY.title)

    _wait_for_roster(dashboard)

    team = dashboard.team_names()
    assert "Tomasz Nowak" in team  # teaches both courses; need not have launched
    assert "Amara Okafor" not in team  # teaches only Science
    members = len(roster.enrolled(HISTORY))
    expect(dashboard.frame.locator("#roster-status")).to_contain_text(
        re.compile(rf"{members} members found"))
    expect(dashboard.frame.get_by_role(
        "button", name="Refresh the team from the LMS roster")).to_be_visible()
    assert_accessible(launched.frame, "dashboard with roster status")
    screenshot(launched.page, "roster-dashboard-history", "laptop")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    launched.frame.locator('section[aria-labelledby="team-heading"]').screenshot(
        path=str(SCREENSHOTS / "roster-team-history-laptop.png"))


def test_the_people_page_removes_and_enrols_again(lms, page):
    page.goto(f"{lms.lms_url}/demo/people?course={HISTORY.context_id}")
    expect(page.get_by_role("heading", name="People", exact=True)).to_be_visible()
    remove = page.get_by_role("button", name="Remove Ben Carter from course")
    remove.click()
    expect(page.get_by_role("status")).to_contain_text(
        "Ben Carter was removed from Year 8 History")
    expect(page.get_by_role("button", name="Enrol Ben Carter again")).to_be_visible()
    assert_accessible(page, "practice LMS people page")
    screenshot(page, "practice-lms-people-history", "laptop")
    page.get_by_role("button", name="Enrol Ben Carter again").click()
    expect(page.get_by_role("button", name="Remove Ben Carter from course")).to_be_visible()
