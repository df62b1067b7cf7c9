"""No N+1: the course's observation list costs the same number of statements at any size."""

from __future__ import annotations

from bench.observations import observations as seed_observations
from lti_tool.courses.models import Course
from lti_tool.extensions import db
from tests.observations.conftest import base
from tests.support.sql import count_statements


def list_statements(person) -> int:  # type: ignore[no-untyped-def]
    person.get(base(person) + "/")  # warm: the starter forms exist, caches are filled
    with count_statements() as statements:
        resp = person.get(base(person) + "/")
    assert resp.status_code == 200
    return len(statements)


def test_the_list_of_a_course_costs_the_same_with_4_or_40_observations(people, amara, tomasz):
    people("teacher-3", "Priya Raman")
    course_id = db.session.scalar(db.select(Course.id))
    seed_observations(db.session.get(Course, course_id), 4)
    small = list_statements(amara)
    seed_observations(db.session.get(Course, course_id), 36)
    large = list_statements(amara)
    assert small == large
    assert large <= 12, large


def test_an_older_window_costs_the_same_as_the_first(people, amara, tomasz):
    course_id = db.session.scalar(db.select(Course.id))
    tomasz.get(base(tomasz) + "/")
    seed_observations(db.session.get(Course, course_id), 30)
    first = list_statements(amara)
    amara.get(base(amara) + "/?done=20&now=20")
    with count_statements() as statements:
        assert amara.get(base(amara) + "/?done=20&now=20").status_code == 200
    assert len(statements) == first
