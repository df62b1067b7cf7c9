"""The notes pages inside the LMS frame, acted on as teachers do."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, expect

from tests.browser.pages.editor import MarkdownEditor
from tests.browser.pages.planning import PlanningPages

LEARNER_PATH = re.compile(r"/courses/(\d+)/notes/learners/(\d+)$")


class NotesPages(PlanningPages):
    def open_class_list(self) -> None:
        self.follow(self.frame.locator(".course-nav").get_by_role(
            "link", name="Learners", exact=True))
        expect(self.heading).to_have_text("Class list")

    @property
    def class_rows(self) -> Locator:
        return self.frame.locator("table.class-list tbody tr")

    def row_of(self, name: str) -> Locator:
        return self.class_rows.filter(has=self.frame.get_by_role("link", name=name, exact=True))

    def add_note_about(self, name: str) -> None:
        self.follow(self.row_of(name).get_by_role("link", name=re.compile("^Add note")))
        expect(self.heading).to_have_text(f"A note about {name}")

    def write(self, *, category: str, body: str, key: bool = False) -> None:
        self.frame.locator(".tag-choice").get_by_label(re.compile(re.escape(category))).check()
        MarkdownEditor(self.frame, "body").set_markdown(body)
        if key:
            self.frame.get_by_label(re.compile("^Key note")).check()

    def save(self) -> None:
        self.follow(self.button("Save the note"))

    @property
    def learner_path(self) -> str:
        match = LEARNER_PATH.search(self.path)
        assert match, f"the frame is not on a learner profile: {self.frame.url}"
        return match.group(0)

    @property
    def timeline(self) -> Locator:
        return self.frame.locator("ol.timeline")

    @property
    def who_can_see(self) -> Locator:
        return self.frame.locator(".who-can-see")
