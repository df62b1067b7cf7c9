"""Long lists in windows, and an invitation under "What's new", as a teacher sees them.

A team space with a year of units and meetings opens on the current unit, with links to
earlier and later ones; a colleague invited to a team space finds the invitation on the
course dashboard. Each page is checked with axe-core and photographed at laptop and
tablet size (test-artifacts/screenshots/).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from lti_tool import create_app
from lti_tool.courses.models import Person
from lti_tool.demo import roster
from lti_tool.extensions import db
from lti_tool.planning import services
from lti_tool.planning.models import Space
from lti_tool.planning.services import LIST_SHOWN, UNITS_SHOWN
from tests.browser.pages.lms import FRAME
from tests.browser.pages.planning import PlanningPages, tag
from tests.browser.planning_seed import (  # noqa: F401 (planning_seed: a fixture)
    TEACHER_A,
    TEACHER_B,
    planning_seed,
)
from tests.browser.support import (
    SIZES,
    assert_accessible,
    assert_no_horizontal_scroll,
    require_chromium,
    screenshot,
)

require_chromium()
pytestmark = pytest.mark.browser


@pytest.fixture
def teachers(new_context, launch, live_server):
    """``teachers(member, ...)``: each member launched from the LMS in their own browser."""

    def open_as(*members: roster.Member) -> list[PlanningPages]:
        return [PlanningPages(launch(m.user_id, on=new_context().new_page()).frame,
                              live_server.tool_url) for m in members]

    return open_as


def _a_year_of_plans(live_server, space_id: int) -> None:  # type: ignore[no-untyped-def]
    """Units every three weeks from last September, and weekly meetings, saved through the
    planning services into the running server's database (as many saves from the UI would
    take minutes)."""
    app = create_app({
        "INSTANCE_PATH": str(live_server.instance), "ENV_NAME": "development",
        "DEMO_MODE": False, "LOG_LEVEL": "WARNING",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{live_server.instance / 'staffroom.db'}",
    })
    start = date.today() - timedelta(weeks=3 * (UNITS_SHOWN + 1))
    with app.app_context():
        space = db.session.get(Space, space_id)
        author = db.session.get(Person, space.created_by_id)
        for i in range(UNITS_SHOWN * 2 + 2):
            begins = start + timedelta(weeks=3 * i)
            services.create_plan(space, author, services.PlanData(
                title=f"Unit {i + 1:02d}", kind="unit", starts_on=begins,
                ends_on=begins + timedelta(days=18)))
        for i in range(LIST_SHOWN + 4):
            day = start + timedelta(weeks=i)
            services.create_plan(space, author, services.PlanData(
                title=f"Meeting {i + 1:02d}", kind="meeting", starts_on=day, ends_on=day))
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("size", SIZES)
def test_a_busy_space_opens_on_its_current_unit(teachers, live_server, size):
    [a] = teachers(TEACHER_A)
    a.open_spaces_index()
    a.follow(a.link("Create a team space"))
    a.field("Name").fill(f"Busy department {tag()}")
    a.follow(a.button("Create the space"))
    space_id = int(a.path.strip("/").split("/")[-1])
    _a_year_of_plans(live_server, space_id)

    a.frame.page.set_viewport_size(SIZES[size])
    a.reload()
    units = a.frame.locator("#units-heading").locator("xpath=..")
    # The current unit first (the one that ends after today), earlier ones one link away.
    expect(units.locator(".unit-title a").first).to_have_text(f"Unit {UNITS_SHOWN + 2:02d}")
    expect(units.locator(".unit")).to_have_count(UNITS_SHOWN)
    pager = units.get_by_role("navigation", name="More units")
    expect(pager).to_contain_text(f"of {UNITS_SHOWN * 2 + 2}")
    assert_accessible(a.frame, f"busy space home ({size})")
    assert_no_horizontal_scroll(a.frame, f"busy space home ({size})")
    screenshot(a.frame.page, "planning-space-home-busy", size, FRAME)
    pager.scroll_into_view_if_needed()  # and where the units' pager is
    screenshot(a.frame.page, "planning-space-home-busy-pager", size, FRAME)

    a.follow(pager.get_by_role("link", name="Earlier units"))
    expect(units.locator(".unit-title a").first).to_have_text("Unit 02")
    expect(units.get_by_role("navigation", name="More units")).to_contain_text("Later units")


def test_an_invitation_is_answered_from_whats_new(teachers, planning_seed):  # noqa: F811
    [a, b] = teachers(TEACHER_A, TEACHER_B)
    name = f"Moderation team {tag()}"
    a.open_spaces_index()
    a.follow(a.link("Create a team space"))
    a.field("Name").fill(name)
    a.follow(a.button("Create the space"))
    a.open_space_nav("Members")
    a.frame.get_by_label(TEACHER_B.name, exact=True).check()
    a.follow(a.button("Send invitations"))

    b.open_dashboard()
    news = b.whats_new
    expect(news.get_by_role("heading", name="Invitations to team spaces")).to_be_visible()
    invitation = news.locator("li.invitation", has_text=name)
    expect(invitation).to_contain_text(f"{TEACHER_A.name} invited you")
    assert_accessible(b.frame, "dashboard with an invitation")
    screenshot(b.frame.page, "teacher-dashboard-invitation", "laptop", FRAME)
    b.follow(invitation.get_by_role("button", name=f"Accept the invitation to {name}"))
    expect(b.heading).to_have_text(name)
    b.open_dashboard()
    expect(b.whats_new.locator("li.invitation", has_text=name)).to_have_count(0)
