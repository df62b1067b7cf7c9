"""The co-planning pages inside the LMS frame: spaces, plans, tasks, discussion, search.

Every method acts as a teacher does (following links, filling labelled fields,
pressing buttons) in the tool's cross-site frame; navigation is waited for, so a
test reads as the journey it checks.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from playwright.sync_api import Frame, Locator, expect

from tests.browser.pages.editor import MarkdownEditor

PLAN_PATH = re.compile(r"/courses/(\d+)/spaces/(\d+)/plans/(\d+)$")
SPACE_PATH = re.compile(r"/courses/(\d+)/spaces/(\d+)/$")


def tag() -> str:
    """A short unique word: the browser suite shares one database across its tests."""
    return uuid.uuid4().hex[:6]


@dataclass(frozen=True)
class PlanRef:
    """Where a plan lives: enough to open any of its pages by URL."""

    course_id: int
    space_id: int
    plan_id: int

    @property
    def base(self) -> str:
        return f"/courses/{self.course_id}/spaces/{self.space_id}/plans/{self.plan_id}"

    @property
    def view(self) -> str:
        return self.base

    @property
    def edit(self) -> str:
        return self.base + "/edit"

    @property
    def history(self) -> str:
        return self.base + "/history"

    def revision(self, version: int) -> str:
        return f"{self.base}/history/{version}"


class PlanningPages:
    """One teacher's view of the planning area in their Staffroom frame."""

    def __init__(self, frame: Frame, tool_url: str) -> None:
        self.frame = frame
        self.tool_url = tool_url

    # ----------------------------------------------------------------------- basics

    @property
    def heading(self) -> Locator:
        return self.frame.locator("main h1")

    @property
    def flash(self) -> Locator:
        return self.frame.locator(".flashes")

    @property
    def path(self) -> str:
        return urlsplit(self.frame.url).path

    def follow(self, locator: Locator) -> None:
        """Click a link or button and wait for the frame's next page."""
        with self.frame.expect_navigation():
            locator.click()

    def link(self, name: str | re.Pattern, exact: bool = True) -> Locator:
        if isinstance(name, re.Pattern):
            return self.frame.get_by_role("link", name=name)
        return self.frame.get_by_role("link", name=name, exact=exact)

    def button(self, name: str | re.Pattern, exact: bool = True) -> Locator:
        if isinstance(name, re.Pattern):
            return self.frame.get_by_role("button", name=name)
        return self.frame.get_by_role("button", name=name, exact=exact)

    def goto(self, path: str):  # type: ignore[no-untyped-def]
        """Open a page of the tool by its path (as a bookmark or a link elsewhere would)."""
        return self.frame.goto(self.tool_url + path)

    def reload(self) -> None:
        self.frame.goto(self.frame.url)

    def plan_ref(self) -> PlanRef:
        match = PLAN_PATH.search(self.path)
        assert match, f"the frame is not on a plan page: {self.frame.url}"
        return PlanRef(*(int(g) for g in match.groups()))

    # ----------------------------------------------------------------------- spaces

    def open_course_space_from_dashboard(self) -> None:
        self.follow(self.link("Open the course planning space"))
        assert SPACE_PATH.search(self.path), self.frame.url

    def open_spaces_index(self) -> None:
        """The "Planning spaces" link of the course navigation or of the breadcrumb."""
        self.follow(self.frame.locator(".course-nav, .breadcrumb").get_by_role(
            "link", name="Planning spaces", exact=True).first)
        expect(self.heading).to_have_text("Planning spaces")

    def open_space_nav(self, name: str) -> None:
        self.follow(self.frame.locator(".space-nav").get_by_role("link", name=name, exact=True))

    # ----------------------------------------------------------------------- plan forms

    def field(self, label: str) -> Locator:
        return self.frame.get_by_label(label, exact=True)

    @property
    def title_field(self) -> Locator:
        return self.frame.locator("#title")

    @property
    def body_field(self) -> Locator:
        """The plan's text box: the form's field, whether the editor or the source shows."""
        return self.frame.locator("#body")

    def editor(self, field_id: str = "body") -> MarkdownEditor:
        return MarkdownEditor(self.frame, field_id).ready()

    def markdown_source(self, field_id: str = "body") -> Locator:
        """The field's Markdown, shown with the editor's "Markdown" button, to type into."""
        return self.editor(field_id).show_markdown()

    @property
    def autosave_status(self) -> Locator:
        return self.frame.locator("#autosave-status")

    def start_plan(self, template: str) -> None:
        """From the space home: "New plan", then the template by its name."""
        self.follow(self.link("New plan"))
        expect(self.heading).to_have_text("New plan")
        self.follow(self.link(template))

    def fill_plan(self, *, title: str | None = None, starts_on: str | None = None,
                  ends_on: str | None = None, objectives: str | None = None,
                  tags: str | None = None, body: str | None = None) -> None:
        """Fill the form; Markdown texts go in through the editor's "Markdown" source."""
        values = {"#title": title, "#starts_on": starts_on, "#ends_on": ends_on,
                  "#tags": tags}
        for selector, value in values.items():
            if value is not None:
                self.frame.locator(selector).fill(value)
        for field_id, text in (("objectives", objectives), ("body", body)):
            if text is not None:
                self.markdown_source(field_id).fill(text)

    def create(self) -> PlanRef:
        self.follow(self.button("Create"))
        return self.plan_ref()

    def save(self) -> None:
        self.follow(self.button("Save"))

    def create_plan(self, template: str, **values: str) -> PlanRef:
        self.start_plan(template)
        self.fill_plan(**values)
        ref = self.create()
        expect(self.heading).to_have_text(values["title"])
        return ref

    def add_lesson(self, title: str, body: str | None = None, **values: str) -> PlanRef:
        """From a unit's page: "Add a lesson" starts a lesson inside this unit."""
        unit = self.plan_ref()
        self.follow(self.frame.locator(".card").get_by_role("link", name="Add a lesson"))
        expect(self.field("Part of unit")).to_have_value(str(unit.plan_id))
        self.fill_plan(title=title, body=body, **values)
        ref = self.create()
        expect(self.heading).to_have_text(title)
        return ref

    def edit_body(self, transform) -> str:  # type: ignore[no-untyped-def]
        """Replace the body's Markdown with ``transform(body)``; returns the new text."""
        source = self.markdown_source()
        text = transform(source.input_value())
        source.fill(text)
        return text

    def type_at_end(self, locator: Locator, text: str) -> None:
        """Type ``text`` key by key after what the field holds (as a person adds a line)."""
        locator.focus()
        keyboard = self.frame.page.keyboard
        keyboard.press("Control+End")
        keyboard.type(text)

    # ----------------------------------------------------------------------- plan page

    @property
    def plan_body(self) -> Locator:
        return self.frame.locator("article.plan section:last-of-type .markdown")

    def add_task(self, title: str, owner_label: str, due_on: str | None = None) -> None:
        """Add a task under the plan for the member whose owner choice contains ``owner_label``."""
        form = self.frame.locator("form.task-add")
        form.get_by_label("Task", exact=True).fill(title)
        owner = form.get_by_label("Owner", exact=True)
        option = owner.locator("option", has_text=owner_label)
        owner.select_option(value=option.get_attribute("value"))
        if due_on:
            form.get_by_label("Due date (optional)").fill(due_on)
        self.follow(form.get_by_role("button", name="Add task"))

    def owner_options(self) -> list[str]:
        return [o.strip() for o in self.frame.locator("#new-task-owner option").all_inner_texts()]

    @property
    def plan_tasks(self) -> Locator:
        return self.frame.locator(".subject-tasks .task")

    def comment(self, text: str) -> None:
        """Post a comment written as Markdown (the comment editor's source)."""
        MarkdownEditor(self.frame, "comment-body").ready().set_markdown(text)
        self.follow(self.button("Post comment"))

    @property
    def comments(self) -> Locator:
        return self.frame.locator(".comment-list .comment")

    # ----------------------------------------------------------------------- members

    def save_strengths(self, strengths: str) -> None:
        self.field("Your strengths").fill(strengths)
        self.follow(self.button("Save my strengths"))
        expect(self.flash).to_contain_text("Your strengths are saved.")

    # ----------------------------------------------------------------------- dashboard

    @property
    def whats_new(self) -> Locator:
        return self.frame.locator("section.whats-new")

    def open_dashboard(self) -> None:
        self.follow(self.frame.locator(".breadcrumb, .course-nav, .eyebrow").get_by_role(
            "link", name=re.compile("Year 8 Science|Course dashboard")).first)
