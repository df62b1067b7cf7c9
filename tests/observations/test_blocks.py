"""Observations in the shared blocks: a co-planned lesson's objectives and page, search,
What's new, the dashboard panel, tasks, and what goes when an observation goes."""

from __future__ import annotations

import sqlalchemy as sa

from lti_tool.courses.models import Course, Person
from lti_tool.discussion.models import Comment
from lti_tool.extensions import db
from lti_tool.observations.models import Observation, ObservationNote
from lti_tool.search.models import SearchDocument
from lti_tool.search.services import search
from lti_tool.tasks.models import Task
from tests.observations.conftest import (
    autosave,
    base,
    move,
    observation,
    page,
    person_id,
    ratings_of,
    start,
    template_id,
    to_shared,
)
from tests.planning.conftest import course_space_id, create_plan

OBJECTIVES = """We are learning to:
- explain how balanced forces keep speed constant
- draw force arrows to scale"""


def test_a_co_planned_lesson_offers_its_objectives_and_shows_the_pair_the_result(
        people, amara, tomasz):
    priya = people("teacher-3", "Priya Raman")
    space = course_space_id(amara)
    plan_id = create_plan(amara, space, title="Forces lesson", kind="lesson",
                          objectives=OBJECTIVES)
    new_page = page(amara.get(f"{base(amara)}/new"))
    assert "Forces lesson" in new_page
    oid = start(amara, tomasz.sub, lesson_id=str(plan_id))
    assert (observation(oid).lesson_kind, observation(oid).lesson_id) == ("plan", plan_id)
    move(tomasz, oid, "scheduled")
    focus = page(amara.get(f"{base(amara)}/{oid}/focus"))
    assert "draw force arrows to scale" in focus
    resp = amara.post(f"{base(amara)}/{oid}/focus", {
        "lesson_title": "Forces", "focus": [], "plan_focus": ["draw force arrows to scale"],
        "focus_note": "", "version": str(observation(oid).version)})
    assert resp.status_code == 303, page(resp)[:2000]
    # An objective the plan does not have is refused.
    resp = amara.post(f"{base(amara)}/{oid}/focus", {
        "lesson_title": "Forces", "plan_focus": ["something invented"], "focus_note": "",
        "version": str(observation(oid).version)})
    assert resp.status_code == 422
    move(tomasz, oid, "in_progress")
    assert "draw force arrows to scale" in ratings_of(oid)
    assert "From the lesson plan" in page(tomasz.get(f"{base(tomasz)}/{oid}/lesson"))
    plan_url = f"/courses/{amara.course_id}/spaces/{space}/plans/{plan_id}"
    assert "Observations of this lesson" not in page(amara.get(plan_url))  # not finished yet
    move(tomasz, oid, "shared")
    for person in (amara, tomasz):
        card = page(person.get(plan_url))
        assert "Observations of this lesson" in card
        assert f"/observations/{oid}" in card
    # Priya plans in the same space but is not of the pair.
    assert "Observations of this lesson" not in page(priya.get(plan_url))


def test_linking_a_plan_one_cannot_see_is_refused(people, amara, tomasz):
    from tests.planning.conftest import COURSE_2

    ola = people("teacher-9", "Ola Elsewhere", context=COURSE_2)
    foreign = create_plan(ola, course_space_id(ola), title="Chemistry lesson", kind="lesson")
    resp = amara.post(f"{base(amara)}/new", {
        "as_role": "observee", "colleague_id": str(person_id(tomasz.sub)),
        "template_id": str(template_id(amara)),
        "lesson_title": "Mine", "lesson_id": str(foreign), "message": ""})
    assert resp.status_code == 422
    assert "Choose a lesson or unit from the list" in page(resp)
    assert db.session.scalar(sa.select(sa.func.count(Observation.id))) == 0


def test_search_finds_an_observation_only_for_its_readers_and_feedback_after_sharing(
        people, amara, tomasz):
    priya = people("teacher-3", "Priya Raman")
    oid = start(amara, tomasz.sub, lesson_title="Photosynthesis practical")
    move(tomasz, oid, "scheduled")
    move(tomasz, oid, "in_progress")
    autosave(tomasz, oid, {"version": observation(oid).version, "notes": [
        {"key": "z1", "tag": "note", "body": "zeolite mentioned by a learner", "at": ""}]})

    def found(sub: str, word: str) -> bool:
        who = db.session.scalars(sa.select(Person).filter_by(sub=sub)).one()
        return any(h.subject.subject.id == oid for h in search(who, word))

    assert found("teacher-1", "photosynthesis")
    assert found("teacher-2", "photosynthesis")
    assert not found("teacher-3", "photosynthesis")
    assert not found("teacher-1", "zeolite")  # the feedback is not shared yet
    move(tomasz, oid, "shared")
    assert found("teacher-1", "zeolite")
    assert not found("teacher-3", "zeolite")
    assert "Photosynthesis" not in page(priya.get(
        f"/courses/{priya.course_id}/search?q=photosynthesis"))


def test_whats_new_and_the_panel_tell_whose_move_it_is(amara, tomasz):
    oid = start(tomasz, amara.sub, as_role="observer")
    dash = page(amara.get(f"/courses/{amara.course_id}/"))
    assert "Peer observation" in dash
    assert "Tomasz Nowak asks to observe your lesson" in dash
    assert "1 observation waits for you" in dash
    assert "asks to observe" not in page(tomasz.get(f"/courses/{tomasz.course_id}/"))
    move(amara, oid, "scheduled")
    assert "Observe Amara Okafor: start when the lesson begins" in page(
        tomasz.get(f"/courses/{tomasz.course_id}/"))
    nav = page(amara.get(f"/courses/{amara.course_id}/tasks/"))
    assert f'href="/courses/{amara.course_id}/observations/"' in nav


def test_deleting_an_observation_takes_its_tasks_comments_and_search_entries(amara, tomasz):
    oid = to_shared(tomasz, amara)
    keep = to_shared(tomasz, amara)
    for target in (oid, keep):
        amara.post(f"{base(amara)}/{target}/reflection", {
            "reflection": "r", "next_steps": "Step one", "version": str(
                observation(target).version), "action": "submit"})
        tomasz.post(f"/courses/{tomasz.course_id}/discussion/observation/{target}/comments",
                    {"body": "@Amara Okafor well done"})

    def counts(target: int) -> tuple[int, int, int, int]:
        return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(m).where(*w))
                     for m, w in (
                         (Task, (Task.subject_kind == "observation", Task.subject_id == target)),
                         (Comment, (Comment.subject_kind == "observation",
                                    Comment.subject_id == target)),
                         (SearchDocument, (SearchDocument.subject_kind == "observation",
                                           SearchDocument.subject_id == target)),
                         (ObservationNote, (ObservationNote.observation_id == target,))))

    assert counts(oid) == (1, 1, 2, 1)  # the comment is in the index too
    db.session.execute(sa.delete(Observation).where(Observation.id == oid))
    db.session.commit()
    assert counts(oid) == (0, 0, 0, 0)
    assert counts(keep) == (1, 1, 2, 1)


def test_deleting_the_course_or_the_observee_deletes_their_observations(amara, tomasz):
    oid = to_shared(tomasz, amara)
    mine = to_shared(amara, tomasz)  # Tomasz observed by Amara
    db.session.execute(sa.delete(Person).where(Person.id == person_id("teacher-1")))
    db.session.commit()
    assert db.session.get(Observation, oid) is None  # Amara was its observee
    assert db.session.get(Observation, mine).observer_id is None  # kept for Tomasz
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SearchDocument).where(
        SearchDocument.subject_kind == "observation", SearchDocument.subject_id == oid)) == 0
    db.session.execute(sa.delete(Course))
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(Observation.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SearchDocument).where(
        SearchDocument.subject_kind == "observation")) == 0
