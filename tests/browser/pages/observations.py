"""The peer observation pages inside the LMS frame, acted on as teachers do.

Built on :class:`~tests.browser.pages.planning.PlanningPages` (following links,
pressing buttons and waiting for the frame's next page are the same everywhere in
the tool).
"""

from __future__ import annotations

import re

from playwright.sync_api import Locator, expect

from tests.browser.pages.editor import markdown_field
from tests.browser.pages.planning import PlanningPages

OBSERVATION_PATH = re.compile(r"/courses/(\d+)/observations/(\d+)(?:/lesson)?$")


class ObservationPages(PlanningPages):
    @property
    def observation_path(self) -> str:
        match = OBSERVATION_PATH.search(self.path)
        assert match, f"the frame is not on an observation: {self.frame.url}"
        return f"/courses/{match.group(1)}/observations/{match.group(2)}"

    def open_observations(self) -> None:
        self.follow(self.frame.locator(".course-nav").get_by_role(
            "link", name="Observations", exact=True))
        expect(self.heading).to_have_text("Peer observation")

    def invite_to_observe(self, colleague: str, lesson: str, *, plan: str | None = None,
                          message: str = "") -> None:
        """From the dashboard's panel: invite ``colleague`` to observe my lesson."""
        self.follow(self.link("Invite a colleague to observe you"))
        expect(self.heading).to_have_text("Start an observation")
        expect(self.frame.get_by_label("Invite a colleague to observe one of my lessons")
               ).to_be_checked()
        colleague_field = self.frame.get_by_label("Colleague", exact=True)
        colleague_field.select_option(label=colleague)
        self.frame.get_by_label("Which lesson").fill(lesson)
        if plan:
            field = self.frame.get_by_label("Co-planned lesson or unit (optional)")
            option = field.locator("option", has_text=plan).first
            field.select_option(value=option.get_attribute("value"))
        if message:
            self.fill_markdown("Message to your colleague (optional)", message)

    def fill_markdown(self, label: str, text: str) -> None:
        """Type ``text`` as Markdown into the editor of the field labelled ``label``."""
        markdown_field(self.frame, label).set_markdown(text)

    def send_request(self) -> None:
        self.follow(self.button("Send the request"))

    def press(self, label: str) -> None:
        self.follow(self.button(label))

    @property
    def autosave_status(self) -> Locator:
        return self.frame.locator("#autosave-status")

    def add_note(self, tag: str, text: str) -> None:
        self.frame.locator(".tag-choice").get_by_label(tag, exact=True).check()
        self.frame.get_by_label("New note", exact=True).fill(text)
        self.button("Add note").click()
        expect(self.frame.locator("#note-list textarea").first).to_have_value(text)

    def rate(self, look_for: str, level: str, evidence: str | None = None) -> None:
        fieldset = self.frame.locator("fieldset.look-for", has_text=look_for)
        fieldset.get_by_label(level, exact=True).check()
        if evidence is not None:
            fieldset.locator("textarea").fill(evidence)

    @property
    def notes(self) -> Locator:
        return self.frame.locator("#note-list textarea")
