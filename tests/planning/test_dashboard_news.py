"""What's new on the course dashboard, from planning (issue 16's rough edges).

* "Changed since your last visit" clears when the teacher opens the course (its
  dashboard), not only the space's home page.
* An invitation to a team space appears under "What's new", with its answer.
"""

from __future__ import annotations

import re

from lti_tool.courses.models import Person
from lti_tool.extensions import db
from lti_tool.planning import services
from lti_tool.planning.models import Plan
from tests.planning.conftest import (
    COURSE_2,
    answer,
    course_space_id,
    create_plan,
    create_team_space,
    invite,
    page,
    person_id,
)
from tests.support.sql import count_statements, writes


def _dashboard(person) -> str:  # type: ignore[no-untyped-def]
    return page(person.get(f"/courses/{person.course_id}/"))


def _news(person) -> str:  # type: ignore[no-untyped-def]
    """The "What's new" panel of the person's dashboard."""
    html = _dashboard(person)
    start = html.index("What’s new for you")
    return html[start:html.index("</section>", start)]


def _save(person, space_id: int, plan_id: int, body: str) -> None:  # type: ignore[no-untyped-def]
    plan = db.session.get(Plan, plan_id)
    data = services.plan_data(plan)
    data.body = body
    editor = db.session.get(Person, person_id(person.sub))
    services.save_plan(plan, editor, plan.version, data)
    db.session.remove()


def _changed(html: str) -> list[str]:
    if "Changed since your last visit" not in html:
        return []
    start = html.index("Changed since your last visit")
    return re.findall(r'/plans/\d+">([^<]+)</a>', html[start:html.index("</ul>", start)])


def test_opening_the_course_clears_the_changes_it_showed(ada, bo):
    sid = course_space_id(bo)
    pid = create_plan(bo, sid, title="Cells")
    assert _changed(_dashboard(ada)) == ["Cells"]
    assert _changed(_dashboard(ada)) == []  # seen on the dashboard: not new any more
    _save(bo, sid, pid, "Microscopes first")
    assert _changed(_dashboard(ada)) == ["Cells"]  # a new change is new again
    assert _changed(_dashboard(ada)) == []


def test_the_dashboard_clears_team_space_changes_too_and_only_for_its_reader(ada, bo, people):
    cy = people("teacher-3", "Cy Colleague")
    tid = create_team_space(bo, "Science team")
    invite(bo, tid, ada.sub, cy.sub)
    answer(ada, tid)
    answer(cy, tid)
    create_plan(bo, tid, title="Team unit")
    assert _changed(_dashboard(ada)) == ["Team unit"]
    assert _changed(_dashboard(ada)) == []
    assert _changed(_dashboard(cy)) == ["Team unit"]  # Cy has not seen it yet


def test_the_dashboard_writes_only_after_it_is_sent(ada, bo):
    sid = course_space_id(bo)
    create_plan(bo, sid, title="Cells")
    with ada.app.app_context(), count_statements() as statements:
        resp = ada.client.get(f"/courses/{ada.course_id}/", buffered=False)
        assert "Cells" in resp.get_data(as_text=True)
    assert writes(statements) == []
    resp.close()
    assert _changed(_dashboard(ada)) == []


def test_a_change_saved_while_the_dashboard_was_read_stays_new(ada, bo, monkeypatch):
    """The visit is stamped with the moment the list was read, not when the write runs."""
    sid = course_space_id(bo)
    pid = create_plan(bo, sid, title="Cells")
    real = services.record_visits

    def save_first(person_id_, space_ids, when):  # type: ignore[no-untyped-def]
        # A colleague's save lands between the page and its deferred write.
        monkeypatch.setattr(services, "record_visits", real)
        with ada.app.app_context():
            _save(bo, sid, pid, "A later idea")
        real(person_id_, space_ids, when)

    monkeypatch.setattr(services, "record_visits", save_first)
    assert _changed(_dashboard(ada)) == ["Cells"]
    assert _changed(_dashboard(ada)) == ["Cells"]  # the later save is still news
    assert _changed(_dashboard(ada)) == []


def test_another_courses_dashboard_does_not_clear_this_courses_changes(people, ada, bo):
    sid = course_space_id(bo)
    create_plan(bo, sid, title="Cells")
    ada_in_chemistry = people(ada.sub, "Ada Teacher", context=COURSE_2)
    _dashboard(ada_in_chemistry)
    assert _changed(_dashboard(ada)) == ["Cells"]


def test_an_invitation_shows_under_whats_new_and_is_answered_there(ada, bo, people):
    tid = create_team_space(ada, "Year 7 team")
    invite(ada, tid, bo.sub)
    news = _news(bo)
    assert "Invitations to team spaces" in news
    assert "Year 7 team" in news
    assert "Ada Teacher invited you" in news
    accept = re.search(r'action="([^"]+/invitations/\d+/accept)"', news)
    assert accept
    assert "Invitations to team spaces" not in _news(ada)  # the inviter has none
    assert "Invitations to team spaces" not in _news(people("teacher-3", "Cy Colleague"))

    resp = bo.post(accept.group(1))
    assert resp.status_code == 303
    assert f"/spaces/{tid}/" in resp.headers["Location"]
    assert "Invitations to team spaces" not in _news(bo)


def test_a_declined_invitation_leaves_whats_new(ada, bo):
    tid = create_team_space(ada, "Year 7 team")
    invite(ada, tid, bo.sub)
    assert "Year 7 team" in _news(bo)
    answer(bo, tid, accept=False)
    assert "Year 7 team" not in _news(bo)
