"""One deletion policy: the database deletes, on SQLite as on PostgreSQL.

Deleting a platform, a course or a person is one DELETE statement; foreign keys
(``ON DELETE CASCADE`` / ``SET NULL``) and the ``forget`` triggers of the feature
tables (``lti_tool/migrations/subjects.py``) remove everything that hangs off it,
including the shared blocks' rows (tasks, comments, mentions, search entries)
that refer to a feature's object by kind and id.
"""

from __future__ import annotations

import sqlalchemy as sa

from lti_tool.courses.models import Course, Membership, Person
from lti_tool.courses.registry import Subject
from lti_tool.discussion.models import Comment, Mention
from lti_tool.discussion.services import add_comment
from lti_tool.extensions import db
from lti_tool.lti import registrations
from lti_tool.lti.models import Deployment, Platform
from lti_tool.planning import services as planning
from lti_tool.planning.models import (
    Draft,
    Plan,
    PlanRevision,
    Space,
    SpaceMember,
    SpaceTemplate,
)
from lti_tool.search.models import SearchDocument
from lti_tool.tasks.models import Task
from tests.tasks.helpers import COURSE_2, course, course_space, launch, person, team_space

CONTENT = (Space, SpaceMember, Plan, PlanRevision, SpaceTemplate, Draft, Task, Comment,
           Mention, SearchDocument)


def count(model, *where) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0


def fill(space: Space, author: Person, colleague: Person, title: str) -> Plan:
    """A plan with a revision, a template, a draft, tasks, a comment with a mention."""
    unit = planning.create_plan(space, author, planning.PlanData(title=title, kind="unit",
                                                                 body="Forces and friction"))
    planning.save_as_template(space, author, unit, f"{title} template")
    planning.save_draft(author, space, f"plan-{unit.id}", unit.version, {"title": "draft"})
    for subject in (Subject("plan", unit.id), Subject("space", space.id)):
        db.session.add(Task(subject_kind=subject.kind, subject_id=subject.id, title="Do it",
                            owner_id=colleague.id, created_by_id=author.id))
    db.session.commit()
    add_comment(Subject("plan", unit.id), author, f"@{colleague.display_name} look at {title}")
    return unit


def school(app, platform):  # type: ignore[no-untyped-def]
    """Two courses, a team space across them, each space full of planning content."""
    launch(app, platform)
    launch(app, platform, sub="teacher-2", name="Ben Colleague")
    launch(app, platform, sub="teacher-1", context=COURSE_2)
    ada, ben = person("teacher-1"), person("teacher-2")
    team = team_space("Science team", ada, ben)
    fill(course_space(), ada, ben, "Course one unit")
    fill(course_space("course-2"), ada, ada, "Course two unit")
    fill(team, ben, ada, "Team unit")
    assert all(count(model) for model in CONTENT)
    return ada, ben, team


def test_deleting_a_platform_deletes_everything_of_it(app, platform):
    school(app, platform)
    registrations.delete_platform(db.session.scalars(sa.select(Platform)).one())
    for model in (Deployment, Course, Person, Membership, *CONTENT):
        assert count(model) == 0, model.__name__


def test_deleting_a_course_deletes_its_space_and_all_that_hangs_off_it(app, platform):
    _, _, team = school(app, platform)
    team_id, gone = team.id, course_space().id
    gone_plans = db.session.scalars(sa.select(Plan.id).where(Plan.space_id == gone)).all()
    db.session.execute(sa.delete(Course).where(Course.id == course().id))
    db.session.commit()
    db.session.expunge_all()
    assert count(Space, Space.id == gone) == 0
    assert count(Plan, Plan.space_id == gone) == 0
    for model in (Task, Comment, SearchDocument):
        assert count(model, model.subject_kind == "space", model.subject_id == gone) == 0
        assert count(model, model.subject_kind == "plan", model.subject_id.in_(gone_plans)) == 0
    # Rows that referred to the deleted plans by kind and id are gone, not orphaned.
    live_plans = sa.select(Plan.id)
    assert count(Task, Task.subject_kind == "plan", Task.subject_id.not_in(live_plans)) == 0
    assert count(Comment, Comment.subject_kind == "plan",
                 Comment.subject_id.not_in(live_plans)) == 0
    assert count(SearchDocument, SearchDocument.subject_kind == "plan",
                 SearchDocument.subject_id.not_in(live_plans)) == 0
    assert count(Mention, Mention.comment_id.not_in(sa.select(Comment.id))) == 0
    # The other course, the team space and the people stay.
    assert count(Space, Space.id == team_id) == 1
    assert count(Space, Space.course_id == course("course-2").id) == 1
    assert count(Plan) == 2
    assert count(Person) == 2


def test_deleting_a_person_keeps_what_they_wrote_without_their_name(app, platform):
    _, ben, team = school(app, platform)
    ben_id, team_id = ben.id, team.id
    written = count(Plan, Plan.created_by_id == ben_id)
    db.session.execute(sa.delete(Person).where(Person.id == ben_id))
    db.session.commit()
    db.session.expunge_all()
    # What was Ben's alone goes: his memberships, his place in spaces, drafts, mentions.
    assert count(Membership, Membership.person_id == ben_id) == 0
    assert count(SpaceMember, SpaceMember.person_id == ben_id) == 0
    assert count(Draft, Draft.person_id == ben_id) == 0
    assert count(Mention, Mention.person_id == ben_id) == 0
    # What he wrote for the team stays, with nobody's name on it.
    assert written
    assert count(Plan, Plan.created_by_id.is_(None)) == written
    assert count(Comment, Comment.author_id.is_(None)) == 1
    assert count(Task, Task.owner_id.is_(None)) == 2  # the tasks Ada gave him
    assert count(Space, Space.id == team_id) == 1
