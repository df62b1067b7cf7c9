"""Co-planning journeys from a practice LMS launch: two teachers, two browsers, one course.

Issue 3's "done means" as people do it: a unit from the template with two
lessons and a task for a colleague, who finds it on their dashboard and answers
with an @mention; both edit the same lesson at once without losing either
change (issue 4's conflicting-edit path); autosave survives a reload and a
dropped connection; history, search, print and export, team spaces.

The browser suite shares one database, so every test names what it makes with
a fresh tag and looks only at that.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from babel.dates import format_date
from playwright.sync_api import expect

from lti_tool.demo import roster
from tests.browser.pages.dashboard import StaffOnlyPage
from tests.browser.pages.planning import PlanningPages, tag
from tests.browser.planning_seed import (  # noqa: F401 (planning_seed: a fixture)
    B_STRENGTHS,
    LESSON_1_TITLE,
    LESSON_2_TITLE,
    TEACHER_A,
    TEACHER_B,
    UNIT_TITLE,
    planning_seed,
)
from tests.browser.support import require_chromium

require_chromium()
pytestmark = pytest.mark.browser

LESSON_BODY = """## Starter

Label the parts of a plant cell.

## Main activity

Microscope practical in pairs: onion skin.

## Plenary

Exit ticket: one difference between plant and animal cells.
"""
A_STARTER = "Label the parts of a plant cell, then compare with a partner."
B_PLENARY = "Exit ticket: two differences between plant and animal cells."
A_MAIN = "Microscope practical in threes: onion skin and cheek cells."
B_MAIN = "Microscope practical in pairs: onion skin, with a drawing scaffold."
RESOLVED_MAIN = "Microscope practical in threes: onion skin, with a drawing scaffold."


def day(offset: int) -> str:
    return (date.today() + timedelta(days=offset)).isoformat()


@pytest.fixture
def teachers(new_context, launch, live_server):
    """``teachers(member, ...)``: each member launched from the LMS in their own browser."""

    def open_as(*members: roster.Member) -> list[PlanningPages]:
        opened = []
        for member in members:
            launched = launch(member.user_id, on=new_context().new_page())
            opened.append(PlanningPages(launched.frame, live_server.tool_url))
        return opened

    return open_as


def dashboard_path(pages: PlanningPages) -> str:
    return "/courses/" + pages.path.split("/")[2] + "/"


# --------------------------------------------------------------------------- journey 1


def test_a_unit_with_lessons_and_a_task_reaches_the_colleague_who_mentions_back(teachers):
    t = tag()
    unit_title, task_title = f"Cells and organisms {t}", f"Book the microscopes {t}"
    b, = teachers(TEACHER_B)
    b.open_course_space_from_dashboard()
    b.open_space_nav("Members")
    b.save_strengths(B_STRENGTHS)

    a, = teachers(TEACHER_A)
    dashboard = dashboard_path(a)
    a.open_course_space_from_dashboard()
    expect(a.heading).to_have_text(roster.COURSE.title)
    a.start_plan("Unit plan")
    expect(a.heading).to_have_text("New unit")
    expect(a.body_field).to_have_value(re.compile("## Big idea and why it matters"))
    a.fill_plan(title=unit_title, starts_on=day(30), ends_on=day(60), tags="cells, microscopy")
    unit = a.create()
    expect(a.heading).to_have_text(unit_title)
    expect(a.flash).to_contain_text(f"“{unit_title}” is created.")

    a.add_lesson(f"Plant and animal cells {t}", starts_on=day(30))
    a.goto(unit.view)
    a.add_lesson(f"Using a microscope {t}", starts_on=day(32))
    a.goto(unit.view)
    lessons = a.frame.locator("#lessons-heading + ol li")
    expect(lessons).to_have_text([re.compile(f"Plant and animal cells {t}"),
                                  re.compile(f"Using a microscope {t}")])

    # The owner picker shows each colleague's strengths, to delegate by them.
    assert f"{TEACHER_B.name} — strengths: {B_STRENGTHS}" in a.owner_options()
    a.add_task(task_title, TEACHER_B.name, due_on=day(7))
    expect(a.flash).to_contain_text(f"Task added: {task_title}")
    expect(a.plan_tasks.filter(has_text=task_title)).to_contain_text(TEACHER_B.name)

    # B finds the task on the dashboard and in My tasks, and answers on the unit.
    b.goto(dashboard)
    expect(b.whats_new.locator(".task", has_text=task_title)).to_contain_text(unit_title)
    b.follow(b.whats_new.get_by_role("link", name="All my tasks"))
    expect(b.heading).to_have_text("My tasks")
    row = b.frame.locator(".task", has_text=task_title)
    shown = format_date(date.today() + timedelta(days=7), "medium", locale="en_GB")
    expect(row).to_contain_text(f"Due {shown}")  # the practice LMS launches in en-GB
    b.follow(row.get_by_role("link", name=unit_title))
    expect(b.heading).to_have_text(unit_title)
    b.comment(f"@{TEACHER_A.name} the microscopes are booked for both lessons ({t}).")
    expect(b.flash).to_contain_text("Comment posted.")
    comment = b.comments.filter(has_text=t)
    expect(comment.locator("mark.mention")).to_have_text(f"@{TEACHER_A.name}")

    a.goto(dashboard)
    mention = a.whats_new.locator(".news-list li", has_text=unit_title)
    expect(mention).to_contain_text(f"{TEACHER_B.name} mentioned you on {unit_title}")
    expect(mention.locator(".news-excerpt")).to_contain_text("the microscopes are booked")


# --------------------------------------------------------------------------- journey 2


def test_two_teachers_save_the_same_lesson_and_neither_change_is_lost(teachers, watcher):
    t = tag()
    a, b = teachers(TEACHER_A, TEACHER_B)
    a.open_course_space_from_dashboard()
    lesson = a.create_plan("Lesson plan", title=f"Looking at cells {t}", body=LESSON_BODY)

    # Different lines: the second save is refused, shown, and merged for B.
    b.goto(lesson.edit)
    a.goto(lesson.edit)
    a.edit_body(lambda text: text.replace("Label the parts of a plant cell.", A_STARTER))
    a.save()
    expect(a.flash).to_contain_text("Saved as version 2.")

    b.edit_body(lambda text: text.replace(
        "Exit ticket: one difference between plant and animal cells.", B_PLENARY))
    with watcher.expect_status(409, lesson.edit):
        b.save()
    alert = b.frame.get_by_role("alert")
    expect(alert).to_contain_text(f"{TEACHER_A.name} saved this plan while you were editing")
    expect(alert).to_contain_text("Nothing you typed is lost")
    expect(alert).to_contain_text("on different lines")
    expect(alert.locator("table.diff ins")).to_have_text(A_STARTER)
    expect(b.frame.locator("#mine-body")).to_have_value(re.compile(re.escape(B_PLENARY)))
    merged = b.body_field.input_value()
    assert A_STARTER in merged
    assert B_PLENARY in merged
    assert "<<<<<<<" not in merged
    b.save()
    expect(b.flash).to_contain_text("Saved as version 3.")
    expect(b.plan_body).to_contain_text(A_STARTER)
    expect(b.plan_body).to_contain_text(B_PLENARY)

    # The same line: both versions between markers; saving is refused until resolved.
    b.goto(lesson.edit)
    a.goto(lesson.edit)
    a.edit_body(lambda text: text.replace("Microscope practical in pairs: onion skin.", A_MAIN))
    a.save()
    expect(a.flash).to_contain_text("Saved as version 4.")
    b.edit_body(lambda text: text.replace("Microscope practical in pairs: onion skin.", B_MAIN))
    with watcher.expect_status(409, lesson.edit):
        b.save()
    expect(b.frame.get_by_role("alert")).to_contain_text("the same lines in 1 place")
    conflicted = b.body_field.input_value()
    assert re.search(
        rf"^<<<<<<< .*\n{re.escape(A_MAIN)}\n=======\n{re.escape(B_MAIN)}\n>>>>>>> your version$",
        conflicted, re.MULTILINE,
    ), conflicted

    with watcher.expect_status(422, lesson.edit):
        b.save()
    expect(b.frame.locator(".form-errors")).to_contain_text("Nothing was saved yet")
    expect(b.body_field).to_have_attribute("aria-invalid", "true")
    expect(b.body_field).to_have_attribute("aria-describedby", re.compile(r"\bbody-error\b"))
    expect(b.frame.locator("#body-error")).to_contain_text("still holds a conflict")
    expect(b.body_field).to_have_value(conflicted)  # nothing B typed is dropped

    b.edit_body(lambda text: re.sub(r"<<<<<<< [^\n]*\n.*?>>>>>>> your version",
                                    RESOLVED_MAIN, text, flags=re.DOTALL))
    b.save()
    expect(b.flash).to_contain_text("Saved as version 5.")
    for line in (A_STARTER, RESOLVED_MAIN, B_PLENARY):
        expect(b.plan_body).to_contain_text(line)


# --------------------------------------------------------------------------- journey 3


# planning.js saves 3 seconds after the last keystroke; allow for a slow machine.
AUTOSAVE_WAIT = 10_000
STORAGE_PROBE = """() => {
  try { localStorage.setItem("probe", "1"); localStorage.removeItem("probe"); return true; }
  catch (e) { return false; }
}"""


def test_autosave_keeps_a_draft_across_a_relaunch_and_a_dropped_connection(
    teachers, launch, watcher
):
    t = tag()
    a, = teachers(TEACHER_A)
    a.open_course_space_from_dashboard()
    note = a.create_plan("Blank note", title=f"Lab rota {t}", body="Monday: Amara")
    a.follow(a.link("Edit"))

    expect(a.autosave_status).to_have_attribute("role", "status")
    expect(a.autosave_status).to_have_attribute("aria-live", "polite")
    a.type_at_end(a.markdown_source(), f"\nTuesday: Tomasz {t}")
    expect(a.autosave_status).to_contain_text("Saved as draft at", timeout=AUTOSAVE_WAIT)

    # A relaunch from the LMS (a new session) offers the draft back.
    page = a.frame.page
    a = PlanningPages(launch(TEACHER_A.user_id, on=page).frame, a.tool_url)
    a.goto(note.edit)
    offer = a.frame.locator(".draft-offer", has=a.link("Restore them"))
    expect(offer).to_contain_text("You have unsaved changes from")
    a.follow(offer.get_by_role("link", name="Restore them"))
    expect(a.frame.get_by_text("are back in the form")).to_be_visible()
    expect(a.body_field).to_have_value(f"Monday: Amara\nTuesday: Tomasz {t}")

    # Offline: the change is kept (in this browser's storage, when the frame may use it)
    # and sent once the connection is back. This Chromium, like Chrome with third-party
    # cookies blocked, denies storage to the cross-site frame: then the page itself keeps
    # the text and asks before it is closed.
    drafts = f"/courses/{note.course_id}/spaces/{note.space_id}/drafts"
    storage = a.frame.evaluate(STORAGE_PROBE)
    page.context.set_offline(True)
    a.type_at_end(a.markdown_source(), f"\nWednesday: Priya {t}")
    expect(a.autosave_status).to_contain_text(
        "Offline — kept in this browser at" if storage
        else "Offline — not saved yet. Keep this page open", timeout=AUTOSAVE_WAIT)
    if not storage:
        page.once("dialog", lambda dialog: dialog.dismiss())  # "Leave site?" No: stay
        with page.expect_event("dialog") as asked:
            a.link("Cancel").click(no_wait_after=True)
        assert asked.value.type == "beforeunload"
        expect(a.body_field).to_have_value(re.compile(f"Wednesday: Priya {t}$"))
    page.context.set_offline(False)
    expect(a.autosave_status).to_contain_text("Saved as draft at", timeout=AUTOSAVE_WAIT)
    assert watcher.caused_on_purpose(drafts, "request failed: POST"), "no autosave while offline"

    a.save()
    expect(a.flash).to_contain_text("Saved as version 2.")
    expect(a.plan_body).to_contain_text(f"Wednesday: Priya {t}")
    a.goto(note.edit)
    expect(a.frame.locator(".draft-offer:visible")).to_have_count(0)
    # Chromium logs the failed request to the console, and logs it again when the frame's
    # next documents load: those repeats are the same failure, caused on purpose.
    watcher.caused_on_purpose(drafts, "ERR_INTERNET_DISCONNECTED")


# --------------------------------------------------------------------------- journey 4


def test_history_shows_what_each_save_changed_and_restores_an_older_version(teachers):
    t = tag()
    a, = teachers(TEACHER_A)
    a.open_course_space_from_dashboard()
    first = f"Homework: read pages 10 to 12 ({t})."
    second = f"Homework: answer questions 1 to 5 ({t})."
    lesson = a.create_plan("Blank lesson", title=f"Homework plan {t}", body=first)
    a.goto(lesson.edit)
    a.edit_body(lambda text: text.replace(first, second))
    a.save()
    expect(a.flash).to_contain_text("Saved as version 2.")

    a.follow(a.link("History"))
    expect(a.heading).to_have_text(f"History of “Homework plan {t}”")
    rows = a.frame.locator("table.history tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Version 2 (current)")
    expect(rows.last).to_contain_text("Created")

    a.follow(a.link("Version 2"))
    expect(a.heading).to_have_text(f"Version 2 of “Homework plan {t}”")
    expect(a.frame.locator("table.diff del")).to_have_text(first)
    expect(a.frame.locator("table.diff ins")).to_have_text(second)

    a.follow(a.frame.locator(".breadcrumb").get_by_role("link", name="History"))
    a.follow(a.link("Version 1"))
    a.follow(a.button("Restore version 1"))
    expect(a.flash).to_contain_text("Version 1 is restored as version 3")
    expect(a.plan_body).to_have_text(first)
    a.follow(a.link("History"))
    expect(rows.first).to_contain_text("Restored version 1")


# --------------------------------------------------------------------------- journey 5


def test_search_ranks_the_unit_first_and_is_closed_to_learners(
    teachers, launch, new_context, watcher, live_server
):
    t = tag()
    word = f"zeolite{t}"
    a, = teachers(TEACHER_A)
    a.open_course_space_from_dashboard()
    unit = a.create_plan("Unit plan", title=f"Rocks {t}",
                         body=f"## Big idea\n\nA {word} is a mineral; every {word} has pores.")
    a.add_lesson(f"Rock samples {t}", body=(
        "## Starter\n\nSort the rock samples by colour, grain size and hardness, "
        f"then look again at one {word} sample under the hand lens."))

    a.goto(dashboard_path(a))
    a.whats_new.get_by_label("Search Staffroom").fill(word)
    a.follow(a.whats_new.get_by_role("button", name="Search"))
    expect(a.heading).to_have_text("Search")
    expect(a.frame.locator("#results-heading")).to_have_text(f"2 results for “{word}”")
    hits = a.frame.locator(".search-hit")
    expect(hits.first.get_by_role("link")).to_have_text(f"Rocks {t}")
    expect(hits.first.locator(".search-snippet mark").first).to_have_text(word)
    expect(hits.nth(1).get_by_role("link")).to_have_text(f"Rock samples {t}")
    a.follow(hits.first.get_by_role("link"))
    assert a.plan_ref() == unit

    learner = launch("learner", on=new_context().new_page())
    search = f"/courses/{unit.course_id}/search"
    with watcher.expect_status(403, search):
        response = learner.frame.goto(f"{live_server.tool_url}{search}?q={word}")
    assert response is not None
    assert response.status == 403
    expect(learner.frame.locator("main h1")).to_have_text(StaffOnlyPage.TITLE)
    expect(learner.frame.locator("main")).not_to_contain_text(f"Rocks {t}")


# --------------------------------------------------------------------------- journey 6


def test_a_unit_prints_and_downloads_as_markdown_with_its_lessons(
    teachers, watcher, planning_seed  # noqa: F811
):
    a, = teachers(TEACHER_A)
    a.goto(planning_seed.unit.view)
    a.follow(a.link("Print view"))
    titles = a.frame.locator("article.printed-plan").locator("h1, h2").filter(
        has_text=re.compile(f"^({UNIT_TITLE}|{LESSON_1_TITLE}|{LESSON_2_TITLE})$"))
    expect(titles).to_have_text([UNIT_TITLE, LESSON_1_TITLE, LESSON_2_TITLE])
    expect(a.button("Print")).to_be_visible()
    a.frame.page.emulate_media(media="print")
    expect(a.frame.locator(".print-bar")).to_be_hidden()
    expect(a.frame.locator(".site-header")).to_be_hidden()
    a.frame.page.emulate_media(media="screen")

    a.follow(a.link("Back to the plan"))
    with a.frame.page.expect_download() as info:
        a.link("Download as Markdown").click()
    download = info.value
    # Chromium reports a navigation that turns into a download as an aborted request.
    watcher.caused_on_purpose(planning_seed.unit.view + "/export.md", "net::ERR_ABORTED")
    assert download.suggested_filename == "forces-and-motion.md"
    text = open(download.path(), encoding="utf-8").read()  # noqa: PTH123 (a Playwright temp file)
    assert text.startswith(f"# {UNIT_TITLE}\n")
    assert f"\n## {LESSON_1_TITLE}\n" in text
    assert f"\n## {LESSON_2_TITLE}\n" in text
    assert "then swap and check" in text  # lesson 1 as its colleague last saved it


# --------------------------------------------------------------------------- journey 7


def test_a_team_space_invitation_is_accepted_and_both_teachers_see_the_space(teachers):
    t = tag()
    name = f"Science PLC {t}"
    b, a = teachers(TEACHER_B, TEACHER_A)  # B launched once: A can invite B

    a.open_spaces_index()
    a.follow(a.link("Create a team space"))
    a.field("Name").fill(name)
    a.field("What this team works on").fill("Moderating Year 8 practical write-ups.")
    a.follow(a.button("Create the space"))
    expect(a.heading).to_have_text(name)
    expect(a.flash).to_contain_text(f"“{name}” is ready.")
    a.open_space_nav("Members")
    a.frame.get_by_label(TEACHER_B.name, exact=True).check()
    a.follow(a.button("Send invitations"))
    expect(a.frame.locator("#invited-heading + ul")).to_contain_text(TEACHER_B.name)

    b.open_spaces_index()
    invitation = b.frame.locator(".invitation", has_text=name)
    expect(invitation).to_contain_text("Moderating Year 8 practical write-ups.")
    b.follow(invitation.get_by_role("button", name=f"Accept the invitation to {name}"))
    expect(b.flash).to_contain_text(f"Welcome to “{name}”.")
    expect(b.heading).to_have_text(name)
    b.open_spaces_index()
    expect(b.frame.locator(".space-list").get_by_role("link", name=name)).to_be_visible()
    expect(b.frame.locator(".invitation", has_text=name)).to_have_count(0)

    a.reload()
    expect(a.frame.locator(".member-list")).to_contain_text(TEACHER_B.name)
    expect(a.frame.locator("#invited-heading")).to_have_count(0)
    a.open_spaces_index()
    expect(a.frame.locator(".space-list li", has_text=name)).to_contain_text("you own it")
