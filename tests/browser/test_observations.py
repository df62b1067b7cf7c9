"""Peer observation from a practice LMS launch: two teachers run the whole cycle.

Issue 12's "done means", as people do it, in the cross-site frame: Amara invites
Tomasz to observe a lesson they planned together, he accepts, she chooses the focus
(with one of the plan's objectives), he takes timestamped notes and rates during the
lesson, shares, she reads, reflects and gets her next steps as tasks, they talk it
over, she closes the cycle, and the result shows under the lesson plan to the two of
them. Every step is photographed at laptop and tablet sizes and checked with axe-core.
A third teacher and a learner are refused. The observer's notes survive the session
cookie being dropped mid-lesson.

The browser suite shares one database, so every test names what it makes with a tag.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from lti_tool.demo import roster
from tests.browser.pages.dashboard import StaffOnlyPage
from tests.browser.pages.lms import FRAME
from tests.browser.pages.observations import ObservationPages
from tests.browser.pages.planning import tag
from tests.browser.planning_seed import (  # noqa: F401 (planning_seed: a fixture)
    LESSON_1_TITLE,
    TEACHER_A,
    TEACHER_B,
    planning_seed,
)
from tests.browser.support import (
    assert_accessible,
    photograph_frame,
    photograph_page,
    require_chromium,
    screenshot,
)

require_chromium()
pytestmark = pytest.mark.browser

TEACHER_C = roster.members(roster.Role.TEACHER)[2]
AUTOSAVE_WAIT = 10_000


@pytest.fixture
def teachers(new_context, launch, live_server):
    def open_as(*members: roster.Member) -> list[ObservationPages]:
        opened = []
        for member in members:
            launched = launch(member.user_id, on=new_context().new_page())
            opened.append(ObservationPages(launched.frame, live_server.tool_url))
        return opened

    return open_as


def dashboard(pages: ObservationPages) -> str:
    return "/courses/" + pages.path.split("/")[2] + "/"


def test_two_teachers_run_the_whole_cycle(teachers, launch, new_context, watcher, live_server,
                                          planning_seed):  # noqa: F811
    t = tag()
    lesson = f"Forces, period 3 ({t})"
    amara, tomasz = teachers(TEACHER_A, TEACHER_B)
    assert TEACHER_A.name == "Amara Okafor"
    assert TEACHER_B.name == "Tomasz Nowak"

    # 1. Amara invites Tomasz, linking the lesson they planned together.
    expect(amara.frame.get_by_role("heading", name="Peer observation")).to_be_visible()
    amara.invite_to_observe(TEACHER_B.name, lesson, plan=LESSON_1_TITLE,
                            message="Could you watch how I **question** the back row?")
    expect(amara.frame.locator(".privacy")).to_contain_text("Only you and your colleague")
    photograph_frame(amara.frame, FRAME, "observation-new")
    amara.send_request()
    expect(amara.flash).to_contain_text(f"Your request is sent to {TEACHER_B.name}")
    expect(amara.heading).to_have_text(f"{TEACHER_A.name} observed by {TEACHER_B.name}")
    observation = amara.observation_path

    # 2. Tomasz finds it in What's new and accepts.
    tomasz.goto(dashboard(tomasz))
    invite = tomasz.whats_new.get_by_role(
        "link", name=f"{TEACHER_A.name} invites you to observe a lesson")
    expect(invite.first).to_be_visible()
    tomasz.goto(observation)
    expect(tomasz.frame.locator(".privacy")).to_contain_text("Nobody else")
    photograph_frame(tomasz.frame, FRAME, "observation-request")
    tomasz.press("Accept")
    expect(tomasz.flash).to_contain_text("Accepted")

    # 3. Amara chooses the focus, with one of the plan's objectives.
    amara.goto(observation)
    amara.follow(amara.link("Choose the focus"))
    amara.frame.get_by_label("Questions drew out and checked what learners think").check()
    amara.frame.get_by_label("Learners talked about the subject with each other").check()
    amara.frame.get_by_label(re.compile("draw forces as arrows")).check()
    amara.fill_markdown("What would you like feedback on?",
        "Whether the **quieter** learners join in.")
    photograph_frame(amara.frame, FRAME, "observation-focus")
    amara.press("Save the focus")
    expect(amara.flash).to_contain_text("The focus is saved")

    # 4. In the lesson: Tomasz starts, notes, rates; everything saves as he types.
    tomasz.goto(observation)
    tomasz.press("Start observing")
    expect(tomasz.heading).to_have_text(f"Observing {TEACHER_A.name}")
    tomasz.add_note("Strength", f"Cold-calling with names drew in the back row ({t})")
    tomasz.add_note("Question", "Why pairs rather than threes for the card sort?")
    tomasz.rate("Questions drew out and checked what learners think", "Proficient",
                "Six open questions in ten minutes")
    tomasz.rate("Learners talked about the subject with each other", "Developing")
    tomasz.rate("draw forces as arrows", "Not observed")
    tomasz.fill_markdown("What went well", "The starter hooked *everyone*.")
    tomasz.fill_markdown("Even better if", "Wait a little longer after questions.")
    expect(tomasz.autosave_status).to_contain_text("Saved at", timeout=AUTOSAVE_WAIT)
    # In the launch's language (the practice LMS sends en-GB): a 24-hour time, as the server's.
    expect(tomasz.autosave_status).to_have_text(re.compile(r"^Saved at \d{2}:\d{2}$"))
    photograph_frame(tomasz.frame, FRAME, "observation-lesson")
    # Before sharing, Amara sees none of it.
    amara.goto(observation)
    expect(amara.frame.locator("main")).not_to_contain_text("Cold-calling with names")
    tomasz.press(f"Share with {TEACHER_A.name}")
    expect(tomasz.flash).to_contain_text(f"Shared with {TEACHER_A.name}")

    # 5. Amara reads, reflects; her next steps become tasks.
    amara.goto(dashboard(amara))
    ready = amara.whats_new.get_by_role(
        "link", name=f"Feedback from {TEACHER_B.name} is ready: read it and reflect")
    amara.follow(ready.first)
    expect(amara.frame.locator("main")).to_contain_text(f"Cold-calling with names drew in "
                                                        f"the back row ({t})")
    expect(amara.frame.locator(".ratings-table")).to_contain_text("Proficient")
    photograph_frame(amara.frame, FRAME, "observation-shared")
    amara.fill_markdown("Your reflection",
        "I will count to five before taking answers.")
    amara.frame.get_by_label("Next steps (one per line)").fill(
        f"Try five seconds of wait time ({t})\nUse mini whiteboards for the plenary")
    amara.press("Submit my reflection")
    expect(amara.flash).to_contain_text("2 next steps added to “My tasks”")
    amara.goto(dashboard(amara) + "tasks/")
    expect(amara.frame.locator(".task", has_text=f"Try five seconds of wait time ({t})")
           ).to_be_visible()

    # 6. The follow-up conversation, then Amara closes the cycle.
    tomasz.goto(observation)
    tomasz.comment(f"@{TEACHER_A.name} happy to come back for the plenary next week ({t}).")
    expect(tomasz.flash).to_contain_text("Comment posted.")
    amara.goto(observation)
    amara.press("Close the cycle")
    expect(amara.frame.locator(".eyebrow")).to_contain_text("Closed")
    photograph_frame(amara.frame, FRAME, "observation-closed")

    # The finished observation shows under the lesson plan, to the pair only.
    plan = planning_seed.lesson_1.view
    amara.goto(plan)
    card = amara.frame.locator(".plan-observations")
    expect(card).to_contain_text(f"{TEACHER_A.name} observed by {TEACHER_B.name}")

    # A third teacher and a learner are refused, and the third teacher's plan page is silent.
    priya, = teachers(TEACHER_C)
    with watcher.expect_status(404, observation):
        priya.goto(observation)
    expect(priya.heading).not_to_contain_text(TEACHER_A.name)
    for suffix in ("/print", "/observation.pdf", "/focus", "/lesson"):
        with watcher.expect_status(404, observation + suffix):
            response = priya.goto(observation + suffix)
        assert response is not None
        assert response.status == 404
    priya.goto(plan)
    expect(priya.frame.locator("main h1")).to_have_text(LESSON_1_TITLE)
    expect(priya.frame.locator(".plan-observations")).to_have_count(0)
    learner = launch("learner", on=new_context().new_page())
    with watcher.expect_status(403, observation):
        response = learner.frame.goto(live_server.tool_url + observation)
    assert response is not None
    assert response.status == 403
    expect(learner.frame.locator("main h1")).to_have_text(StaffOnlyPage.TITLE)


def test_reports_pages_pass_axe_and_are_photographed(teachers):
    amara, = teachers(TEACHER_A)
    amara.open_observations()
    photograph_frame(amara.frame, FRAME, "observation-list")
    for link, heading, name in (
        ("My growth over time", "My growth over time", "observation-growth"),
        ("Who has been observed this term", "Who has been observed this term",
         "observation-coverage"),
        ("Course and school patterns", "Course and school patterns", "observation-report"),
        ("Observation forms", "Observation forms", "observation-forms"),
    ):
        amara.open_observations()
        amara.follow(amara.link(link))
        expect(amara.heading).to_have_text(heading)
        photograph_frame(amara.frame, FRAME, name)
    amara.follow(amara.link("Four domains of practice"))
    expect(amara.frame.locator("main")).to_contain_text("Professional responsibilities")
    photograph_frame(amara.frame, FRAME, "observation-form-preview")


def observing(teachers, lesson: str) -> tuple[ObservationPages, str]:  # type: ignore[no-untyped-def]
    """Amara invites Tomasz, who accepts and starts: his lesson form, and the address."""
    amara, tomasz = teachers(TEACHER_A, TEACHER_B)
    amara.invite_to_observe(TEACHER_B.name, lesson)
    amara.send_request()
    observation = amara.observation_path
    tomasz.goto(observation)
    tomasz.press("Accept")
    tomasz.press("Start observing")
    return tomasz, observation


def test_the_observers_notes_survive_a_session_expiry_mid_form(teachers, launch, watcher):
    t = tag()
    tomasz, observation = observing(teachers, f"Expiry check ({t})")
    tomasz.add_note("Note", f"Before the cookie went ({t})")
    expect(tomasz.autosave_status).to_contain_text("Saved at", timeout=AUTOSAVE_WAIT)

    # The session ends mid-lesson: the tool's cookies are gone from the browser.
    context = tomasz.frame.page.context
    context.clear_cookies(domain="127.0.0.1")
    assert not [c for c in context.cookies() if c["domain"] == "127.0.0.1"]
    # The autosave is refused (no session, so no CSRF token to check: 400), then sent again
    # with the page's key.
    with watcher.expect_status(400, observation + "/autosave"):
        tomasz.add_note("Suggestion", f"Typed after the session ended ({t})")
        tomasz.rate("Learners felt safe to try, be wrong and ask for help", "Exemplary",
                    f"Evidence typed after the session ended ({t})")
        expect(tomasz.autosave_status).to_contain_text("Your Staffroom session has ended",
                                                       timeout=AUTOSAVE_WAIT)

    # Tomasz opens Staffroom again from the course: everything he typed is there, saved.
    page = tomasz.frame.page
    tomasz = ObservationPages(launch(TEACHER_B.user_id, on=page).frame, tomasz.tool_url)
    tomasz.goto(observation + "/lesson")
    expect(tomasz.notes).to_have_count(2)
    expect(tomasz.notes.nth(0)).to_have_value(f"Typed after the session ended ({t})")
    expect(tomasz.notes.nth(1)).to_have_value(f"Before the cookie went ({t})")
    safe = tomasz.frame.locator("fieldset.look-for",
                                has_text="Learners felt safe to try, be wrong and ask for help")
    expect(safe.get_by_label("Exemplary", exact=True)).to_be_checked()
    expect(safe.locator("textarea")).to_have_value(f"Evidence typed after the session ended ({t})")
    tomasz.press(f"Share with {TEACHER_A.name}")
    expect(tomasz.flash).to_contain_text(f"Shared with {TEACHER_A.name}")


def test_an_administrator_adds_a_school_form_that_teachers_then_use(
        page, live_server, admin_credentials, teachers):
    from tests.browser.pages.admin import AdminPage

    t = tag()
    admin = AdminPage(page, live_server.tool_url)
    admin.login(*admin_credentials)
    page.get_by_role("navigation", name="Administration").get_by_role(
        "link", name="Observation forms").click()
    expect(admin.heading).to_have_text("Observation forms")
    with page.expect_navigation():
        page.get_by_role("link", name="Short learning walk").click()
    expect(admin.heading).to_have_text("New observation form")
    page.get_by_label("Name", exact=True).fill(f"Year 8 learning walk ({t})")
    text = page.get_by_label("The form", exact=True)
    text.fill(text.input_value() + "- Learners use the key words of the unit [evidence]\n")
    photograph_page(page, "admin-observation-form")
    with page.expect_navigation():
        page.get_by_role("button", name="Create the form").click()
    expect(admin.flash).to_contain_text(f"“Year 8 learning walk ({t})” is ready")
    assert_accessible(page, "admin-observation-forms")
    screenshot(page, "admin-observation-forms", "laptop")

    amara, = teachers(TEACHER_A)
    amara.open_observations()
    amara.follow(amara.link("Observation forms"))
    amara.follow(amara.link(f"Year 8 learning walk ({t})"))
    expect(amara.frame.locator("main")).to_contain_text("Learners use the key words of the unit")
    expect(amara.frame.locator("main")).to_contain_text("Your school's form")


def test_notes_typed_offline_are_saved_when_the_connection_is_back(teachers, watcher):
    t = tag()
    tomasz, observation = observing(teachers, f"Offline check ({t})")
    context = tomasz.frame.page.context
    context.set_offline(True)
    tomasz.add_note("Strength", f"Typed in a dead spot of the building ({t})")
    # The LMS frame may not keep a copy (storage is denied to it here): the page keeps it.
    expect(tomasz.autosave_status).to_contain_text("Offline", timeout=AUTOSAVE_WAIT)
    context.set_offline(False)
    expect(tomasz.autosave_status).to_contain_text("Saved at", timeout=AUTOSAVE_WAIT)
    assert watcher.caused_on_purpose(observation + "/autosave", "request failed: POST")
    tomasz.goto(observation + "/lesson")
    expect(tomasz.notes.first).to_have_value(f"Typed in a dead spot of the building ({t})")
    # Chromium logs the failed request to the console, again as the next pages load.
    watcher.caused_on_purpose(observation + "/autosave", "ERR_INTERNET_DISCONNECTED")
