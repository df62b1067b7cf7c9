"""Staffroom's course pages inside the LMS frame: the dashboard and the learner's page."""

from __future__ import annotations

from playwright.sync_api import Frame, Locator


class DashboardPage:
    """The course dashboard a teacher or teaching assistant lands on after the launch."""

    def __init__(self, frame: Frame) -> None:
        self.frame = frame

    @property
    def heading(self) -> Locator:
        return self.frame.locator("main h1")

    @property
    def whoami(self) -> Locator:
        return self.frame.locator(".site-header .whoami")

    @property
    def team_heading(self) -> Locator:
        return self.frame.get_by_role("heading", name="The course team")

    def team_names(self) -> list[str]:
        """The names listed in the course team, without the "(you)" mark."""
        names = self.frame.locator(".team .team-name").all_inner_texts()
        return [name.replace("(you)", "").strip() for name in names]

    def team_roles(self) -> dict[str, str]:
        rows = self.frame.locator(".team li")
        return {
            rows.nth(i).locator(".team-name").inner_text().replace("(you)", "").strip():
            rows.nth(i).locator(".team-role").inner_text().strip()
            for i in range(rows.count())
        }

    def reload(self) -> None:
        self.frame.goto(self.frame.url)


class StaffOnlyPage:
    """What a learner sees: Staffroom is for the staff of the course."""

    TITLE = "Staffroom is for your teachers"

    def __init__(self, frame: Frame) -> None:
        self.frame = frame

    @property
    def heading(self) -> Locator:
        return self.frame.locator("main h1")
