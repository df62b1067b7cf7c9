"""The document editor that replaces a Markdown text box (frontend/src/editor.js).

A teacher writes in it with the toolbar and the keyboard; one who prefers the
source presses "Markdown" and types into the text box itself. Page objects use
it either way, as such a person would.
"""

from __future__ import annotations

from playwright.sync_api import Frame, Locator, expect


class MarkdownEditor:
    """The editor of the field whose text box has the id ``field_id`` (``body``)."""

    def __init__(self, frame: Frame, field_id: str) -> None:
        self.frame = frame
        self.field_id = field_id

    @property
    def wrapper(self) -> Locator:
        return self.frame.locator(f".md-editor:has(> textarea#{self.field_id})")

    @property
    def content(self) -> Locator:
        """The editable document (a textbox named by the field's label)."""
        return self.frame.locator(f"#{self.field_id}-editor")

    @property
    def textarea(self) -> Locator:
        """The form's field itself: hidden while the document shows, its value the Markdown."""
        return self.frame.locator(f"textarea#{self.field_id}")

    @property
    def toolbar(self) -> Locator:
        return self.wrapper.get_by_role("toolbar")

    @property
    def source_toggle(self) -> Locator:
        return self.wrapper.get_by_role("button", name="Markdown", exact=True)

    def tool(self, name: str) -> Locator:
        return self.toolbar.get_by_role("button", name=name, exact=True)

    def ready(self) -> MarkdownEditor:
        """Wait until the editor has replaced the text box (it loads after the page)."""
        expect(self.wrapper).to_be_attached()
        return self

    def show_markdown(self) -> Locator:
        """Press "Markdown" (unless the source shows already); returns the text box."""
        self.ready()
        if self.source_toggle.get_attribute("aria-pressed") != "true":
            self.source_toggle.click()
        expect(self.textarea).to_be_visible()
        return self.textarea

    def show_document(self) -> None:
        self.ready()
        if self.source_toggle.get_attribute("aria-pressed") == "true":
            self.source_toggle.click()
        expect(self.content).to_be_visible()

    def set_markdown(self, text: str) -> None:
        self.show_markdown().fill(text)

    def click_into(self) -> None:
        self.show_document()
        self.content.click()


def markdown_field(frame: Frame, label: str) -> MarkdownEditor:
    """The editor of the Markdown field labelled ``label`` (its text box carries the label)."""
    textarea = frame.locator("textarea").and_(frame.get_by_label(label))
    expect(textarea).to_have_count(1)
    return MarkdownEditor(frame, textarea.get_attribute("id") or "").ready()
