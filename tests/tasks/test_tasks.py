"""Tasks: create and update with validation, owners from the space, and "My tasks"."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from lti_tool.extensions import db
from lti_tool.planning.models import SpaceMember
from lti_tool.tasks.models import Task
from lti_tool.tasks.services import my_tasks
from tests.support.sql import count_statements
from tests.tasks.helpers import (
    COURSE_2,
    LEARNER,
    course,
    course_space,
    deactivate,
    launch,
    person,
    plan,
    post,
    task,
    team_space,
)

TODAY = date.today()


@pytest.fixture
def ada(app, platform):
    return launch(app, platform)


def test_create_task_on_a_plan_for_a_colleague(app, platform, ada):
    launch(app, platform, sub="teacher-2", name="Ben Colleague")
    space = course_space()
    unit = plan(space)
    ben = person("teacher-2")
    resp = post(ada, f"/courses/1/tasks/new?on=plan:{unit.id}", {
        "title": "  Write the lab sheet ", "owner_id": str(ben.id),
        "due_on": "2030-05-01",
        "next": f"/courses/1/spaces/{space.id}/plans/{unit.id}",
    })
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith(f"/courses/1/spaces/{space.id}/plans/{unit.id}")
    row = db.session.scalars(sa.select(Task)).one()
    assert (row.title, row.owner_id, row.due_on, row.subject_kind, row.subject_id,
            row.status) == ("Write the lab sheet", ben.id, date(2030, 5, 1), "plan", unit.id,
                            "todo")
    assert row.created_by_id == person("teacher-1").id
    page = ada.get(f"/courses/1/spaces/{space.id}/plans/{unit.id}").get_data(as_text=True)
    assert "Write the lab sheet" in page
    assert "Ben Colleague" in page


def test_owner_picker_shows_strengths(app, platform, ada):
    launch(app, platform, sub="teacher-2", name="Ben Colleague")
    space = course_space()
    db.session.add(SpaceMember(space_id=space.id, person_id=person("teacher-2").id,
                               strengths="lab safety, differentiation"))
    db.session.commit()
    page = ada.get(f"/courses/1/tasks/new?on=space:{space.id}").get_data(as_text=True)
    assert "Ben Colleague — strengths: lab safety, differentiation" in page
    assert "Nobody yet" in page


def test_bad_input_gets_messages_next_to_fields_and_keeps_input(app, platform, ada):
    space = course_space()
    resp = post(ada, f"/courses/1/tasks/new?on=space:{space.id}", {
        "title": "", "owner_id": "99999", "due_on": "31/02/2030", "status": "todo",
    })
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert 'id="title-error"' in page
    assert "Give the task a title" in page
    assert 'id="owner_id-error"' in page
    assert "Unknown colleague: choose someone from the list" in page
    assert 'id="due_on-error"' in page
    assert "year-month-day" in page
    assert 'aria-describedby="title-hint title-error"' in page
    assert 'value="31/02/2030"' in page
    assert db.session.scalar(sa.select(sa.func.count(Task.id))) == 0

    long_title = "x" * 201
    resp = post(ada, f"/courses/1/tasks/new?on=space:{space.id}",
                {"title": long_title, "owner_id": "", "due_on": "2030-01-02"})
    page = resp.get_data(as_text=True)
    assert "Keep the title to 200 characters (it has 201)" in page
    assert f'value="{long_title}"' in page
    assert 'value="2030-01-02"' in page


def test_owner_must_be_a_member_of_this_space(app, platform, ada):
    # A learner of the course, a teacher of another course and a non-member of a team space.
    launch(app, platform, sub="learner-1", name="Lee Learner", roles=[LEARNER])
    launch(app, platform, sub="teacher-3", name="Cy Other", context=COURSE_2)
    space = course_space()
    for outsider in ("learner-1", "teacher-3"):
        resp = post(ada, f"/courses/1/tasks/new?on=space:{space.id}",
                    {"title": "Mark tests", "owner_id": str(person(outsider).id)})
        assert resp.status_code == 422
        assert "Unknown colleague" in resp.get_data(as_text=True)
    team = team_space("Year 7 team", person("teacher-1"))
    resp = post(ada, f"/courses/1/tasks/new?on=space:{team.id}",
                {"title": "Mark tests", "owner_id": str(person("teacher-3").id)})
    assert "Unknown colleague" in resp.get_data(as_text=True)
    db.session.add(SpaceMember(space_id=team.id, person_id=person("teacher-3").id))
    db.session.commit()
    resp = post(ada, f"/courses/1/tasks/new?on=space:{team.id}",
                {"title": "Mark tests", "owner_id": str(person("teacher-3").id)})
    assert resp.status_code == 303
    assert db.session.scalar(sa.select(Task.owner_id)) == person("teacher-3").id


def test_edit_task_and_status_stamps_completion(app, platform, ada):
    space = course_space()
    me = person("teacher-1")
    row = task(space, "Book the lab", me)
    url = f"/courses/1/tasks/{row.id}/edit"
    page = ada.get(url).get_data(as_text=True)
    assert 'value="Book the lab"' in page
    resp = post(ada, url, {"title": "Book the big lab", "owner_id": str(me.id),
                           "due_on": "2030-01-01", "status": "done", "version": "1"})
    assert resp.status_code == 303
    db.session.refresh(row)
    assert row.title == "Book the big lab"
    assert row.status == "done"
    assert row.completed_at is not None
    resp = post(ada, f"/courses/1/tasks/{row.id}/status",
                {"status": "doing", "next": "/courses/1/tasks/"})
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith("/courses/1/tasks/")
    db.session.refresh(row)
    assert row.status == "doing"
    assert row.completed_at is None
    # An edit that fails validation keeps the task as it was.
    resp = post(ada, url, {"title": "", "status": "done", "version": str(row.version)})
    assert resp.status_code == 422
    db.session.refresh(row)
    assert row.title == "Book the big lab"
    assert row.status == "doing"


def test_next_never_leaves_the_course(app, platform, ada):
    space = course_space()
    for target in ("https://evil.example/", "//evil.example/x", "/courses/2/tasks/"):
        resp = post(ada, f"/courses/1/tasks/new?on=space:{space.id}",
                    {"title": "T", "next": target})
        assert resp.headers["Location"].endswith(f"/courses/1/spaces/{space.id}/")


def test_task_of_another_space_or_plan_of_another_space_is_not_found(app, platform, ada):
    course_space()
    theirs = team_space("Not mine", *_other_teacher(app, platform))
    other_task = task(theirs, "Secret", None)
    other_plan = plan(theirs, "Secret plan")
    assert ada.get(f"/courses/1/tasks/{other_task.id}/edit").status_code == 404
    assert ada.get(f"/courses/1/tasks/new?on=space:{theirs.id}").status_code == 404
    resp = post(ada, f"/courses/1/tasks/new?on=plan:{other_plan.id}", {"title": "T"})
    assert resp.status_code == 404
    assert post(ada, f"/courses/1/tasks/{other_task.id}/status",
                {"status": "done"}).status_code == 404
    for bad in ("plan", "plan:", "nothing:1", "plan:x", "plan:²", "plan:99999999999999999999"):
        assert ada.get(f"/courses/1/tasks/new?on={bad}").status_code == 404


def _other_teacher(app, platform):
    launch(app, platform, sub="teacher-9", name="Zed Elsewhere", context=COURSE_2)
    return [person("teacher-9")]


def test_writes_refused_without_csrf_and_for_learners_and_outsiders(app, platform, ada):
    space = course_space()
    row = task(space, "Book the lab", person("teacher-1"))
    urls = [
        f"/courses/1/tasks/new?on=space:{space.id}",
        f"/courses/1/tasks/{row.id}/edit",
        f"/courses/1/tasks/{row.id}/status",
    ]
    for url in urls:
        assert ada.post(url, data={"title": "X", "status": "done"}).status_code == 400
    learner = launch(app, platform, sub="learner-1", name="Lee Learner", roles=[LEARNER])
    outsider = launch(app, platform, sub="teacher-9", name="Zed Elsewhere", context=COURSE_2)
    course_2 = course("course-2").id
    for url in urls:
        assert post(learner, url, {"title": "X"}).status_code == 403
        assert learner.get("/courses/1/tasks/").status_code == 403
        # The outsider is staff of course 2, not a member of course 1's space.
        assert post(outsider, url.replace("/courses/1/", f"/courses/{course_2}/"),
                    {"title": "X"}).status_code == 404
        assert post(outsider, url, {"title": "X"}).status_code == 401
        assert outsider.get(url.replace("/courses/1/", f"/courses/{course_2}/")).status_code in (
            404, 405)
    db.session.refresh(row)
    assert row.title == "Book the lab"
    assert row.status == "todo"


def test_my_tasks_across_spaces_and_courses_overdue_first(app, platform, ada):
    launch(app, platform, context=COURSE_2, client=ada)  # Ada teaches both courses
    me = person("teacher-1")
    bio, chem = course_space("course-1"), course_space("course-2")
    team = team_space("Science team", me)
    unit = plan(chem, "Acids unit")
    task(bio, "No date", me)
    task(chem, "Next week", me, TODAY + timedelta(days=7), plan_row=unit)
    task(team, "Long overdue", me, TODAY - timedelta(days=10))
    task(bio, "Tomorrow", me, TODAY + timedelta(days=1))
    task(chem, "Yesterday", me, TODAY - timedelta(days=1))
    task(bio, "Finished", me, TODAY, status="done")
    task(bio, "Someone else's", None, TODAY)
    titles = [r.task.title for r in my_tasks(me).open]
    assert titles == ["Long overdue", "Yesterday", "Tomorrow", "Next week", "No date"]
    page = ada.get("/courses/1/tasks/").get_data(as_text=True)
    assert page.index("Long overdue") < page.index("Yesterday") < page.index("No date")
    assert "Overdue: due" in page
    assert "Someone else" not in page
    assert f'href="/courses/1/spaces/{chem.id}/plans/{unit.id}"' in page
    assert "<details" in page
    assert "Finished" in page.split("<details")[1]

    # Ada leaves course 2 and the team: their tasks disappear from her list at once.
    deactivate("teacher-1", "course-2")
    db.session.execute(sa.update(SpaceMember).values(status="left"))
    db.session.commit()
    titles = [r.task.title for r in my_tasks(me).open]
    assert titles == ["Tomorrow", "No date"]


def test_my_tasks_and_plan_page_use_a_constant_number_of_queries(app, platform, ada):
    launch(app, platform, sub="teacher-2", name="Ben Colleague")
    me, ben = person("teacher-1"), person("teacher-2")
    space = course_space()
    unit = plan(space)

    def counts() -> tuple[int, int]:
        with count_statements() as mine:
            assert ada.get("/courses/1/tasks/").status_code == 200
        with count_statements() as plan_page:
            assert ada.get(f"/courses/1/spaces/{space.id}/plans/{unit.id}").status_code == 200
        return len(mine), len(plan_page)

    def add(n: int) -> None:
        for i in range(n):
            task(space, f"Task {i}", me if i % 2 else ben, TODAY + timedelta(days=i - 3),
                 plan_row=unit)

    counts()  # warm up: first-request work (session, caches) is not what is measured
    add(5)
    few = counts()
    add(45)
    assert counts() == few


def test_an_edit_from_an_older_version_is_refused_and_shows_the_colleagues_change(
        app, platform, ada):
    """Two teachers open the same task; the second save must not silently undo the first."""
    ben = launch(app, platform, sub="teacher-2", name="Ben Colleague")
    space = course_space()
    row = task(space, "Book the lab", None)
    url = f"/courses/1/tasks/{row.id}/edit"
    version = str(row.version)
    # Ada renames it and gives it to Ben ...
    assert post(ada, url, {"title": "Book the big lab", "owner_id": str(person("teacher-2").id),
                           "status": "todo", "version": version}).status_code == 303
    # ... Ben saves the form he opened before that.
    resp = post(ben, url, {"title": "Book the lab on Friday", "owner_id": "", "status": "doing",
                           "version": version})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 409
    assert "A colleague changed this task while you were editing it" in page
    assert "Book the big lab" in page  # the colleague's title, shown
    assert 'value="Book the lab on Friday"' in page  # Ben's typing, kept
    db.session.refresh(row)
    assert (row.title, row.owner_id, row.status) == (
        "Book the big lab", person("teacher-2").id, "todo")
    # Saving again, from the version the conflict page holds, is a deliberate choice.
    current = str(row.version)
    assert f'name="version" type="hidden" value="{current}"' in page
    assert post(ben, url, {"title": "Book the lab on Friday", "owner_id": "", "status": "doing",
                           "version": current}).status_code == 303
    db.session.refresh(row)
    assert row.title == "Book the lab on Friday"


def test_status_buttons_change_the_status_only(app, platform, ada):
    """A one-click "Done" from a list loaded earlier keeps a colleague's new title and owner."""
    space = course_space()
    row = task(space, "Book the lab", None)
    db.session.execute(sa.update(Task).where(Task.id == row.id).values(
        title="Renamed meanwhile", owner_id=person("teacher-1").id, version=Task.version + 1))
    db.session.commit()
    assert post(ada, f"/courses/1/tasks/{row.id}/status", {"status": "done"}).status_code == 303
    db.session.refresh(row)
    assert (row.title, row.owner_id, row.status) == (
        "Renamed meanwhile", person("teacher-1").id, "done")
    assert row.completed_at is not None


@pytest.mark.parametrize("version", ["", "x", "²", "1.0", "9" * 30, "-1"])
def test_an_edit_without_a_readable_version_is_refused_and_changes_nothing(
        app, platform, ada, version):
    row = task(course_space(), "Book the lab", None)
    resp = post(ada, f"/courses/1/tasks/{row.id}/edit",
                {"title": "Changed", "status": "todo", "version": version})
    assert resp.status_code == 400
    db.session.refresh(row)
    assert row.title == "Book the lab"
