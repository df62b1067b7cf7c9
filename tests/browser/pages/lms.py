"""The practice LMS (``http://localhost:<port>/demo/``): choose a person, open Staffroom."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from playwright.sync_api import Frame, FrameLocator, Page

from lti_tool.demo import roster
from lti_tool.demo.roster import Member
from tests.browser.support import wait_for_frame_url

FRAME = "iframe.lms-frame"


@dataclass
class ToolLaunch:
    """Staffroom as one person opened it from the course navigation."""

    page: Page  # the practice LMS page around the tool (top level, on localhost)
    frame: Frame  # the tool's document (cross-site, on 127.0.0.1)
    frame_locator: FrameLocator
    member: Member

    @property
    def frame_path(self) -> str:
        return urlsplit(self.frame.url).path

    @property
    def course_id(self) -> int:
        """The tool's course id, from the dashboard address ``/courses/<id>/``."""
        match = re.fullmatch(r"/courses/(\d+)/", self.frame_path)
        assert match, f"the frame is not on a course dashboard: {self.frame.url}"
        return int(match.group(1))


class LmsPage:
    """The course pages of the practice LMS and its Staffroom navigation item."""

    def __init__(self, page: Page, lms_url: str, tool_url: str) -> None:
        self.page = page
        self.lms_url = lms_url
        self.tool_url = tool_url

    @property
    def course_home_url(self) -> str:
        return f"{self.lms_url}/demo/"

    def staffroom_url(self, member: Member, course: roster.CourseInfo = roster.COURSE) -> str:
        return f"{self.lms_url}/demo/staffroom?{urlencode(roster.page_query(member, course))}"

    @staticmethod
    def member(role: str, nth: int = 0) -> Member:
        """The ``nth`` roster member with this role (or the member with this user id)."""
        found = roster.find_member(role)
        if found is not None:
            return found
        people = roster.members(roster.Role(role))
        return people[nth]

    def open_course_home(self) -> None:
        self.page.goto(self.course_home_url)

    def launch(self, member: Member, course: str | None = None) -> ToolLaunch:
        """Open the Staffroom navigation item as ``member``; wait until the tool has loaded.

        ``course`` is a practice course's title or context id (the first course if None).
        """
        chosen = roster.COURSE if course is None else next(
            (c for c in roster.COURSES if course in {c.title, c.context_id}), None)
        if chosen is None:
            raise ValueError(f"the practice LMS has no course {course!r}")
        self.page.goto(self.staffroom_url(member, chosen))
        return self.wait_for_tool(member)

    def wait_for_tool(self, member: Member) -> ToolLaunch:
        """Wait for the OIDC login and the launch to end on a page of the tool in the frame."""
        tool = self.tool_url
        frame = wait_for_frame_url(
            self.page, FRAME,
            lambda url: url.startswith(tool + "/") and not url.startswith(tool + "/lti/login"),
            "the launch did not reach a page of the tool",
        )
        frame.wait_for_load_state("load")
        frame.locator("h1").wait_for()
        return ToolLaunch(self.page, frame, self.page.frame_locator(FRAME), member)
