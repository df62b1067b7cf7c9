"""A course planning space with real content, made once per session through the browser.

The page checks (axe, zoom, screenshots) need pages as teachers see them after a
few weeks of work: a unit with lessons, tasks, a discussion with mentions, a
lesson saved by two people, a team space with an open invitation. Building that
through the UI for each of the 20-odd page visits would cost minutes, so this
fixture builds it once, as two teachers in two browser contexts, with its own
problem watcher (a JavaScript error or failed request while seeding fails the
tests that use it).

Import ``planning_seed`` into a test module to use it. Each importing module
registers the fixture anew, so the data is kept per server in ``_SEEDED``: the
session seeds once whichever modules run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from playwright.sync_api import Browser, expect

from lti_tool.demo import roster
from tests.browser.pages.lms import LmsPage
from tests.browser.pages.planning import PlanningPages, PlanRef
from tests.browser.support import LAPTOP, ProblemWatcher

TEACHER_A, TEACHER_B = roster.members(roster.Role.TEACHER)[:2]
B_STRENGTHS = "lab practicals, differentiation"
SEARCH_WORD = "friction"

UNIT_TITLE = "Forces and motion"
UNIT_OBJECTIVES = """By the end of this unit learners will be able to:
- describe the forces acting on an object and draw them as arrows
- explain how balanced and unbalanced forces change motion
- plan a fair test of friction on different surfaces"""
UNIT_BODY = """## Big idea and why it matters

Forces explain why things start, stop and turn. Friction is the force learners meet \
every day, from cycling to walking on ice.

## Essential questions

- Why does a moving object slow down?
- How can we make friction smaller or larger, and when do we want to?

## Evidence of learning

Learners plan and carry out a fair test of friction, then explain their results.

| Success criterion | What it looks like | Where we will see it |
|---|---|---|
| Identifies the forces | Labelled force arrows | Lesson 1 exit ticket |
| Plans a fair test | One variable changed, others kept | Lesson 2 lab sheet |

## Checklist before we start

- [x] Final task and criteria agreed by the team
- [ ] Trolleys and spring balances booked
- [ ] Dates checked against the school calendar
"""
LESSON_1_TITLE = "Balanced and unbalanced forces"
LESSON_1_BODY = """## Starter

Tug of war picture: who wins, and why?

## Main activity

Pairs draw force arrows for five everyday situations.

## Plenary

Exit ticket: one balanced and one unbalanced example.
"""
LESSON_2_TITLE = "Friction on different surfaces"
LESSON_2_BODY = """## Starter

Slide a book across the desk, then across carpet: what changes?

## Main activity

Fair test with spring balances on four surfaces; record results in the table.

## Plenary

Which surface had the most friction, and how sure are we?
"""


@dataclass(frozen=True)
class PlanningSeed:
    """What the seeded data is and where to find it."""

    course_id: int
    space_id: int
    unit: PlanRef
    lesson_1: PlanRef
    lesson_2: PlanRef
    team_space_id: int

    @property
    def space_path(self) -> str:
        return f"/courses/{self.course_id}/spaces/{self.space_id}/"

    def course_path(self, rest: str = "") -> str:
        return f"/courses/{self.course_id}/{rest}"


def _day(offset: int) -> str:
    return (date.today() + timedelta(days=offset)).isoformat()


_SEEDED: dict[int, PlanningSeed] = {}


@pytest.fixture(scope="session")
def planning_seed(browser: Browser, live_server) -> PlanningSeed:
    if live_server.port not in _SEEDED:
        _SEEDED[live_server.port] = _seed(browser, live_server)
    return _SEEDED[live_server.port]


def _seed(browser: Browser, live_server) -> PlanningSeed:  # type: ignore[no-untyped-def]
    watcher = ProblemWatcher()
    contexts = []

    def teacher(member):  # type: ignore[no-untyped-def]
        context = browser.new_context(viewport=LAPTOP)
        context.set_default_timeout(10_000)
        watcher.attach(context)
        contexts.append(context)
        lms = LmsPage(context.new_page(), live_server.lms_url, live_server.tool_url)
        launched = lms.launch(member)
        return PlanningPages(launched.frame, live_server.tool_url)

    try:
        # B first: a colleague must have launched once to be in the course's space.
        b = teacher(TEACHER_B)
        b.open_course_space_from_dashboard()
        b.open_space_nav("Members")
        b.save_strengths(B_STRENGTHS)

        a = teacher(TEACHER_A)
        a.open_course_space_from_dashboard()
        unit = a.create_plan(
            "Unit plan", title=UNIT_TITLE, starts_on=_day(14), ends_on=_day(40),
            objectives=UNIT_OBJECTIVES, tags="NGSS MS-PS2-2, forces, friction", body=UNIT_BODY,
        )
        lesson_1 = a.add_lesson(
            LESSON_1_TITLE, body=LESSON_1_BODY, starts_on=_day(14),
            objectives="We are learning to draw forces as arrows and say when they balance.")
        a.goto(unit.view)
        lesson_2 = a.add_lesson(
            LESSON_2_TITLE, body=LESSON_2_BODY, starts_on=_day(16),
            objectives="We are learning to plan a fair test and measure friction.")
        a.goto(unit.view)
        a.add_task("Book trolleys and spring balances", TEACHER_B.name, due_on=_day(10))
        a.add_task("Write the end-of-unit quiz", TEACHER_A.name, due_on=_day(20))
        a.add_task("Share the lab safety briefing", TEACHER_A.name, due_on=_day(-2))
        a.comment(f"@{TEACHER_B.name} could you check the trolleys are free in week 2? "
                  "I have put the **fair test** sheet in the course files.")
        expect(a.comments).to_have_count(1)
        a.field("Template name").fill("Year 8 science unit")
        a.follow(a.button("Save as a template"))
        expect(a.flash).to_contain_text("Saved as the template “Year 8 science unit”.")

        # B saves lesson 1 (a second version by someone else) and mentions A on lesson 2.
        b.goto(lesson_1.edit)
        b.edit_body(lambda text: text.replace(
            "five everyday situations.", "five everyday situations, then swap and check."))
        b.save()
        expect(b.flash).to_contain_text("Saved as version 2.")
        b.goto(lesson_2.view)
        b.comment(f"@{TEACHER_A.name} I added a carpet tile to the surfaces; "
                  "we have four spring balances.")

        # A team space with an open invitation for B.
        a.goto(f"/courses/{unit.course_id}/spaces/new")
        a.field("Name").fill("Year 8 science team")
        a.field("What this team works on").fill("Shared units and moderation for Year 8 science.")
        a.follow(a.button("Create the space"))
        team_space_id = int(a.path.strip("/").split("/")[-1])
        a.open_space_nav("Members")
        a.frame.get_by_label(TEACHER_B.name, exact=True).check()
        a.follow(a.button("Send invitations"))
        expect(a.flash).to_contain_text(f"Invited: {TEACHER_B.name}")
    finally:
        for context in contexts:
            context.close()
    watcher.check()
    return PlanningSeed(
        course_id=unit.course_id, space_id=unit.space_id, unit=unit, lesson_1=lesson_1,
        lesson_2=lesson_2, team_space_id=team_space_id,
    )
