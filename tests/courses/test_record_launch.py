"""Recording a launch: one read, and only what changed is written."""

from __future__ import annotations

from datetime import timedelta

from lti_tool.courses.models import Course, Membership, Person
from lti_tool.courses.services import LAST_LAUNCH_INTERVAL
from lti_tool.db import utcnow
from lti_tool.extensions import db
from tests.support.platform import REMOVE
from tests.support.sql import count_statements, writes


def relaunch(lti, **claims):  # type: ignore[no-untyped-def]
    """A second launch by the same browser: a fresh login, then the launch."""
    lti.state = None
    return lti.launch(**claims)


def rows() -> tuple[Person, Course, Membership]:
    db.session.expire_all()
    return (
        db.session.scalars(db.select(Person)).one(),
        db.session.scalars(db.select(Course)).one(),
        db.session.scalars(db.select(Membership)).one(),
    )


def tables_written(statements: list[str]) -> set[str]:
    return {s.split()[2].strip('"') for s in writes(statements)}


def test_first_launch_writes_person_course_and_membership(lti):
    with count_statements() as statements:
        assert lti.launch().status_code == 200
    assert {"person", "course", "membership"} <= tables_written(statements)


def test_returning_teacher_with_unchanged_details_writes_nothing(lti):
    assert lti.launch().status_code == 200
    before = rows()
    stamps = (before[0].updated_at, before[1].updated_at, before[2].last_launch_at)
    with count_statements() as statements:
        assert relaunch(lti).status_code == 200
    assert writes(statements) == []
    after = rows()
    assert (after[0].updated_at, after[1].updated_at, after[2].last_launch_at) == stamps


def test_a_new_name_updates_the_person_only(lti):
    assert lti.launch().status_code == 200
    with count_statements() as statements:
        resp = relaunch(lti, name="Ada Lovelace")
    assert resp.status_code == 200
    assert tables_written(statements) == {"person"}
    person, _, _ = rows()
    assert person.name == "Ada Lovelace"
    # The landing page shows the name just written, not the one read before the write.
    assert '<span class="whoami">Ada Lovelace</span>' in resp.get_data(as_text=True)


def test_a_new_course_title_updates_the_course_only(lti):
    assert lti.launch().status_code == 200
    context = {"id": "course-1", "label": "BIO7", "title": "Biology Year 7 (2027)"}
    with count_statements() as statements:
        assert relaunch(lti, context=context).status_code == 200
    assert tables_written(statements) == {"course"}
    assert rows()[1].title == "Biology Year 7 (2027)"


def test_a_withheld_name_keeps_the_known_one_without_a_write(lti):
    assert lti.launch().status_code == 200
    with count_statements() as statements:
        resp = relaunch(lti, name=REMOVE, given_name=REMOVE, family_name=REMOVE, email=REMOVE)
    assert resp.status_code == 200
    assert writes(statements) == []
    person, _, _ = rows()
    assert (person.name, person.email) == ("Ada Teacher", "ada@school.example")


def test_a_role_change_updates_the_membership(lti):
    assert lti.launch().status_code == 200
    ta = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"
    with count_statements() as statements:
        assert relaunch(lti, roles=[ta]).status_code == 200
    assert tables_written(statements) == {"membership"}
    assert rows()[2].roles == "teaching_assistant"


def test_last_launch_is_restamped_once_the_interval_has_passed(lti):
    assert lti.launch().status_code == 200
    _, _, membership = rows()
    long_ago = utcnow() - LAST_LAUNCH_INTERVAL - timedelta(seconds=5)
    membership.last_launch_at = long_ago
    db.session.commit()
    with count_statements() as statements:
        assert relaunch(lti).status_code == 200
    assert tables_written(statements) == {"membership"}
    assert rows()[2].last_launch_at > long_ago + timedelta(seconds=5)


def test_a_membership_the_roster_created_is_taken_over_by_the_launch(lti):
    assert lti.launch().status_code == 200
    _, _, membership = rows()
    membership.source = "roster"
    membership.active = False
    db.session.commit()
    assert relaunch(lti).status_code == 200
    membership = rows()[2]
    assert (membership.source, membership.active) == ("launch", True)
