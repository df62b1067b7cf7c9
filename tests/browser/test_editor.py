"""The document editor, from a practice LMS launch (issue 16's "done means").

A teacher writes a unit with a heading, a link, a checklist and a table using the
toolbar and the keyboard, looks at the Markdown it becomes, saves, and ticks a
checklist item on the plan's page; a colleague's tick at the same moment is kept.
A comment mentions a colleague chosen from the @ suggestions, and a name that
matches nobody is said before posting. The editor is used with the keyboard alone
(one tab stop for the toolbar, arrows inside it, Escape then Tab out of a table),
passes axe-core, and is photographed at laptop and tablet sizes.

The browser suite shares one database: every test names what it makes with a tag.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.pages.planning import PlanningPages, tag
from tests.browser.planning_seed import TEACHER_A, TEACHER_B
from tests.browser.support import (
    SIZES,
    assert_accessible,
    assert_focus_visible,
    focused,
    require_chromium,
    screenshot,
    tab_until,
)

require_chromium()
pytestmark = pytest.mark.browser


@pytest.fixture
def teachers(new_context, launch, live_server):
    def open_as(*members) -> list[PlanningPages]:  # type: ignore[no-untyped-def]
        opened = []
        for member in members:
            launched = launch(member.user_id, on=new_context().new_page())
            opened.append(PlanningPages(launched.frame, live_server.tool_url))
        return opened

    return open_as


def press(page: Page, *keys: str) -> None:
    for key in keys:
        page.keyboard.press(key)


def test_a_unit_written_in_the_editor_keeps_its_table_checklist_and_link(teachers, watcher):
    t = tag()
    title = f"Floating and sinking {t}"
    a, b = teachers(TEACHER_A, TEACHER_B)
    a.open_course_space_from_dashboard()
    a.start_plan("Blank unit")
    a.field("Title").fill(title)
    editor = a.editor("body")
    keyboard = a.frame.page.keyboard

    # A heading, a paragraph with a link, a checklist: toolbar and shortcuts.
    editor.click_into()
    keyboard.type("Week one")
    editor.tool("Heading").click()
    expect(editor.tool("Heading")).to_have_attribute("aria-pressed", "true")
    press(a.frame.page, "End", "Enter")
    keyboard.type("Read the rubric")
    for _ in "rubric":
        keyboard.press("Shift+ArrowLeft")
    keyboard.press("Control+k")
    address = a.frame.get_by_role("textbox", name="Link address")
    expect(address).to_be_focused()
    address.fill("https://school.example/rubric")
    address.press("Enter")
    expect(editor.content.locator("a")).to_have_text("rubric")
    # The editor takes the focus back on the next frame (Tiptap's focus): keys pressed
    # before then would reach the page, and Enter would then replace the selected word.
    expect(editor.content).to_be_focused()
    press(a.frame.page, "End", "Enter")
    editor.tool("Checklist").click()
    keyboard.type(f"Book the water tank {t}")
    keyboard.press("Enter")
    keyboard.type(f"Print the prediction sheets {t}")
    press(a.frame.page, "Enter", "Enter")

    # A table edited as a table: cells by Tab, a row and a column added and one removed.
    editor.tool("Insert a table").click()
    expect(editor.content.locator("table tr")).to_have_count(3)
    for cell in ("Object", "Prediction", "Floats?", "Apple", "Sinks", "Yes"):
        keyboard.type(cell)
        keyboard.press("Tab")
    editor.content.locator("td", has_text="Apple").click()
    editor.tool("Add a row below").click()
    expect(editor.content.locator("table tr")).to_have_count(4)
    editor.tool("Add a column to the right").click()
    header = editor.content.locator("table tr").first.locator("th")
    expect(header).to_have_count(4)
    header.nth(1).click()  # the new, empty column
    editor.tool("Delete this column").click()
    expect(editor.content.locator("table tr").first.locator("th")).to_have_count(3)
    editor.content.locator("table tr").nth(2).locator("td").first.click()
    keyboard.type("Coin")
    editor.content.locator("table tr").last.locator("td").first.click()
    editor.tool("Delete this row").click()
    expect(editor.content.locator("table tr")).to_have_count(3)

    # The form's field holds the Markdown, as "Markdown" shows it.
    expected = [
        "## Week one",
        "Read the [rubric](https://school.example/rubric)",
        f"- [ ] Book the water tank {t}",
        f"- [ ] Print the prediction sheets {t}",
        "| Object | Prediction | Floats? |",
        "|---|---|---|",
        "| Apple | Sinks | Yes |",
        "| Coin |  |  |",
    ]
    pattern = re.compile(".*".join(re.escape(line) for line in expected), re.DOTALL)
    expect(editor.textarea).to_have_value(pattern)
    for size, viewport in SIZES.items():
        a.frame.page.set_viewport_size(viewport)
        screenshot(a.frame.page, "editor-unit", size, "iframe.lms-frame")
    assert_accessible(a.frame, "the unit form with the editor")
    source = editor.show_markdown()
    expect(source).to_be_focused()
    expect(source).to_have_value(pattern)
    screenshot(a.frame.page, "editor-markdown-source", "tablet", "iframe.lms-frame")
    editor.show_document()
    expect(editor.content.locator("table")).to_be_visible()

    unit = a.create()
    expect(a.heading).to_have_text(title)
    body = a.plan_body
    expect(body.locator("h2")).to_have_text("Week one")
    link = body.get_by_role("link", name=re.compile("rubric"))
    expect(link).to_have_attribute("href", "https://school.example/rubric")
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    expect(body.locator("table tbody tr")).to_have_count(2)
    expect(body.locator("table tbody tr").last.locator("td").first).to_have_text("Coin")

    # Ticking on the plan page, in place: a small revision by its author.
    tank = a.frame.get_by_role("checkbox", name=f"Book the water tank {t}")
    sheets = a.frame.get_by_role("checkbox", name=f"Print the prediction sheets {t}")
    expect(tank).to_have_attribute("aria-checked", "false")
    # The colleague opens the same plan before A ticks: their page is one version behind.
    b.goto(unit.view)
    tank.click()
    expect(tank).to_have_attribute("aria-checked", "true")
    expect(a.frame.locator("[data-tick-status]")).to_contain_text(
        f"Ticked “Book the water tank {t}” (saved as version 2).")
    expect(a.frame.locator("[data-plan-version]")).to_have_text("2")
    assert_accessible(a.frame, "the plan page with its tick buttons")
    # B ticks the other item from the older page: both ticks are kept.
    b.frame.get_by_role("checkbox", name=f"Print the prediction sheets {t}").click()
    expect(b.frame.locator("[data-tick-status]")).to_contain_text("saved as version 3")
    a.reload()
    expect(tank).to_have_attribute("aria-checked", "true")
    expect(sheets).to_have_attribute("aria-checked", "true")
    a.follow(a.link("History"))
    rows = a.frame.locator("table.history tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text(TEACHER_B.name)
    expect(rows.nth(1)).to_contain_text(TEACHER_A.name)


def test_a_comment_mentions_a_colleague_chosen_from_the_suggestions(teachers, watcher):
    t = tag()
    b, a = teachers(TEACHER_B, TEACHER_A)  # B launched: B is in the course team
    a.open_course_space_from_dashboard()
    a.create_plan("Blank note", title=f"Trip to the pond {t}", body="Permission slips.")
    editor = a.editor("comment-body")
    editor.click_into()
    keyboard = a.frame.page.keyboard
    first_name = TEACHER_B.name.split()[0]
    keyboard.type(f"@{first_name[:3]}")
    suggestions = a.frame.get_by_role("listbox", name="Colleagues who can read this")
    option = suggestions.get_by_role("option", name=re.compile(TEACHER_B.name))
    expect(option).to_be_visible()
    expect(option).to_have_attribute("aria-selected", "true")
    expect(editor.content).to_have_attribute("aria-activedescendant", option.get_attribute("id"))
    assert_accessible(a.frame, "the comment editor with its @ suggestions")
    screenshot(a.frame.page, "editor-mention-suggestions", "laptop", "iframe.lms-frame")
    keyboard.press("Enter")
    expect(suggestions).to_have_count(0)
    keyboard.type(f"could you collect the slips? ({t})")
    expect(editor.textarea).to_have_value(
        f"@{TEACHER_B.name} could you collect the slips? ({t})\n")

    # A name that matches nobody is said before anything is posted.
    keyboard.type(" And @Nobodyatall too")
    a.button("Post comment").click()
    alert = a.frame.locator(".md-unmatched")
    expect(alert).to_contain_text("@Nobodyatall matches nobody who can read this")
    expect(alert).to_be_focused()
    expect(a.comments).to_have_count(0)
    a.follow(alert.get_by_role("button", name="Post as it is"))
    expect(a.flash).to_contain_text("Comment posted.")
    comment = a.comments.filter(has_text=t)
    expect(comment.locator("mark.mention")).to_have_text(f"@{TEACHER_B.name}")
    expect(comment).to_contain_text("@Nobodyatall too")

    # The author edits it (shown as edited) and the mention follows the text.
    a.follow(comment.get_by_role("link", name=re.compile("^Edit")))
    source = a.markdown_source("body")
    source.fill(f"Slips are in, thanks ({t}).")
    a.follow(a.button("Save comment"))
    expect(a.flash).to_contain_text("Comment saved.")
    comment = a.comments.filter(has_text=t)
    expect(comment).to_contain_text("(edited")
    expect(comment.locator("mark.mention")).to_have_count(0)
    a.follow(comment.get_by_role("link", name=re.compile("^Delete")))
    a.follow(a.button("Delete the comment"))
    expect(a.flash).to_contain_text("Comment deleted.")
    expect(a.comments.filter(has_text=t)).to_have_count(0)


def test_the_editor_by_keyboard_alone(teachers, watcher):
    t = tag()
    a, = teachers(TEACHER_A)
    a.open_course_space_from_dashboard()
    a.start_plan("PLC meeting")  # its body opens with a heading, then a table
    page, frame = a.frame.page, a.frame
    editor = a.editor("body")

    # From the objectives' editor, Tab reaches the body's toolbar in one stop.
    frame.locator("#tags").focus()
    page.keyboard.type(f"moderation, {t}")
    # (A tool's text is its face, "H2", "B"; its name, "Heading", "Bold", is its label.)
    stops = tab_until(page, frame, lambda info: info["tag"] == "button", limit=1)
    assert stops[-1]["text"] == "H2", stops
    # Arrows move along the toolbar; Tab leaves it for the Markdown toggle, then the text.
    press(page, "ArrowRight", "ArrowRight")
    assert focused(frame)["text"] == "B"
    press(page, "End")
    assert focused(frame)["text"] == "↷"
    press(page, "Tab")
    assert focused(frame)["text"] == "Markdown"
    assert_focus_visible(focused(frame), frame.url)
    press(page, "Tab")
    assert focused(frame)["id"] == "body-editor"

    # Into the agenda table: Tab moves between cells, Escape then Tab leaves the editor.
    editor.content.locator("td").first.click()
    expect(editor.tool("Add a row below")).to_be_visible()
    press(page, "Tab")
    page.keyboard.type("Norms")
    assert focused(frame)["id"] == "body-editor"
    press(page, "Escape", "Tab")
    info = focused(frame)
    assert info["id"] != "body-editor", info
    assert_focus_visible(info, frame.url)
    assert info["text"] == "Create", info
    expect(editor.textarea).to_have_value(re.compile(r"\| 5 min \| Norms"))

    # Shift+Tab comes back into the editor, and the link form is reached and left by keyboard.
    press(page, "Shift+Tab")
    expect(editor.content).to_be_focused()
    press(page, "Control+k")
    expect(frame.get_by_role("textbox", name="Link address")).to_be_focused()
    press(page, "Escape")
    expect(editor.content).to_be_focused()
    expect(frame.get_by_role("textbox", name="Link address")).to_be_hidden()
