"""Shared learner notes from practice LMS launches: issue 13's "done means", in the frame.

Amara Okafor (Year 8 Science) reads the class roster from the LMS, opens the class list
and adds a key note about Amelia Kowalski, who is in Science only; Tomasz Nowak, who also
teaches Science, reads it on Amelia's profile; Daniel Osei (Year 8 History only) cannot
reach Amelia or the note; Amelia herself gets 403; the administrator's audit log shows
each read. A restricted (wellbeing) note is opened with the deliberate, logged click.
Every page passes axe-core and is photographed at laptop and tablet sizes.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from lti_tool.demo import roster
from tests.browser.pages.admin import AdminPage
from tests.browser.pages.dashboard import StaffOnlyPage
from tests.browser.pages.lms import FRAME, LmsPage
from tests.browser.pages.notes import NotesPages
from tests.browser.pages.planning import tag
from tests.browser.support import photograph_frame, photograph_page, require_chromium

require_chromium()
pytestmark = pytest.mark.browser

AMARA, TOMASZ, DANIEL = (roster.find_member(i) for i in ("1001", "1002", "1005"))
AMELIA = roster.find_member("2013")  # Science only
AISHA = roster.find_member("2001")  # Science and History



@pytest.fixture
def open_as(new_context, live_server):
    def launch(member: roster.Member, course: roster.CourseInfo = roster.COURSE) -> NotesPages:
        page = new_context().new_page()
        lms = LmsPage(page, live_server.lms_url, live_server.tool_url)
        page.goto(f"{live_server.lms_url}/demo/staffroom?as={member.user_id}"
                  f"&course={course.context_id}")
        launched = lms.wait_for_tool(member)
        return NotesPages(launched.frame, live_server.tool_url)

    return launch


def test_a_key_note_reaches_the_learners_teachers_and_nobody_else(
        open_as, new_context, watcher, live_server, admin_credentials):
    t = tag()
    amara = open_as(AMARA)
    # The whole class from the LMS roster (Names and Role Provisioning), read after the
    # launch's page was sent.
    amara.open_class_list()
    deadline = time.monotonic() + 20
    while "From the LMS roster" not in amara.frame.locator(".roster-source").inner_text():
        assert time.monotonic() < deadline, "the roster was never synced after the launch"
        time.sleep(0.3)
        amara.reload()
    science = roster.members(roster.Role.LEARNER, roster.COURSE)
    expect(amara.class_rows).to_have_count(len(science))
    expect(amara.row_of(AMELIA.name)).to_be_visible()
    photograph_frame(amara.frame, FRAME, "notes-class-list")

    # Two clicks: "Add a note" on her row, then "Save the note".
    amara.add_note_about(AMELIA.name)
    amara.write(category="Academic", key=True,
                body=f"Give **written** instructions as well as spoken ones ({t}).")
    photograph_frame(amara.frame, FRAME, "notes-new")
    amara.save()
    expect(amara.flash).to_contain_text(f"Note saved about {AMELIA.name}")
    expect(amara.timeline).to_contain_text(f"instructions as well as spoken ones ({t})")
    expect(amara.timeline.locator(".key-badge").first).to_have_text("Key note")
    profile = amara.learner_path
    expect(amara.who_can_see).to_contain_text(TOMASZ.name)
    expect(amara.who_can_see).not_to_contain_text(DANIEL.name)
    photograph_frame(amara.frame, FRAME, "notes-learner-profile")

    # A restricted note: colleagues see that it exists; reading it is a logged click.
    amara.follow(amara.link("Add a note"))
    amara.write(category="Wellbeing", body=f"Finds the start of lessons hard ({t}).")
    amara.save()

    # After a group activity: one note about two learners, chosen on the class list.
    amara.open_class_list()
    for member in (AISHA, AMELIA):
        amara.frame.get_by_label(f"Select {member.name}").check()
    amara.follow(amara.button("Add one note to the selected learners"))
    expect(amara.heading).to_have_text("One note about 2 learners")
    amara.write(category="Celebration", body=f"Led the group's experiment ({t}).")
    photograph_frame(amara.frame, FRAME, "notes-new-several")
    amara.save()
    expect(amara.flash).to_contain_text("saved about each of the 2 learners")

    # Tomasz also teaches Amelia: he reads the key note on her profile.
    tomasz = open_as(TOMASZ)
    tomasz.goto(profile)
    expect(tomasz.heading).to_have_text(AMELIA.name)
    expect(tomasz.timeline).to_contain_text(f"spoken ones ({t})")
    expect(tomasz.timeline).not_to_contain_text(f"start of lessons hard ({t})")
    expect(tomasz.timeline).to_contain_text("A wellbeing note exists")
    photograph_frame(tomasz.frame, FRAME, "notes-profile-colleague")
    tomasz.follow(tomasz.button(re.compile("^Open it")).first)
    expect(tomasz.frame.locator(".note-body")).to_contain_text(f"start of lessons hard ({t})")
    note = tomasz.path
    photograph_frame(tomasz.frame, FRAME, "notes-restricted-opened")

    # Daniel teaches History only: Amelia, and the notes about her, do not exist for him.
    daniel = open_as(DANIEL, roster.SECOND_COURSE)
    base = "/courses/" + daniel.path.split("/")[2] + "/notes"
    learner_path = base + "/learners/" + profile.rsplit("/", 1)[1]
    with watcher.expect_status(404, learner_path):
        response = daniel.goto(learner_path)
    assert response is not None
    assert response.status == 404
    note_path = base + "/" + note.rsplit("/", 1)[1]
    with watcher.expect_status(404, note_path):
        response = daniel.goto(note_path)
    assert response is not None
    assert response.status == 404

    # Amelia herself: every notes URL is refused.
    amelia = open_as(AMELIA)
    for path in (profile, profile.split("/learners/")[0] + "/"):
        with watcher.expect_status(403, path):
            response = amelia.goto(path)
        assert response is not None
        assert response.status == 403
        expect(amelia.frame.locator("main h1")).to_have_text(StaffOnlyPage.TITLE)

    # The administrator's audit log shows each of those reads, and no read by Daniel.
    page = new_context().new_page()
    admin = AdminPage(page, live_server.tool_url)
    admin.login(*admin_credentials)
    admin.open("/notes-audit?learner=" + profile.rsplit("/", 1)[1])
    log = page.locator("table.audit-log")
    expect(log).to_contain_text(TOMASZ.name)
    expect(log.locator("tr", has_text="opened on purpose")).to_contain_text(TOMASZ.name)
    expect(log.locator("tr", has_text="create")).to_have_count(3)
    expect(log.locator("tr", has_text="one of 2 added at once")).to_have_count(1)
    expect(log).not_to_contain_text(DANIEL.name)
    photograph_page(page, "admin-notes-audit")
