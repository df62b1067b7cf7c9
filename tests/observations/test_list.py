"""The course's observation list: a window of each group at a time, newest first, whatever
the number of observations (issue 17), and only the observations the reader may see."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from bench.observations import observations as seed_observations
from lti_tool.courses.models import Course
from lti_tool.extensions import db
from lti_tool.observations.models import Observation, State
from lti_tool.observations.services import LIST_SHOWN
from tests.observations.conftest import base, page


def section(resp, group: str) -> str:  # type: ignore[no-untyped-def]
    body = page(resp)
    assert resp.status_code == 200
    start = body.find(f'id="{group}-heading"')
    assert start != -1, f"no {group} section"
    return body[start:body.index("</section>", start)]


def shown_ids(resp, group: str) -> list[int]:  # type: ignore[no-untyped-def]
    return [int(i) for i in re.findall(r'/observations/(\d+)"', section(resp, group))]


def newest_first(*states: State) -> list[int]:
    return list(db.session.scalars(
        sa.select(Observation.id).where(Observation.state.in_(states))
        .order_by(Observation.updated_at.desc(), Observation.id.desc())))


@pytest.fixture
def course_with_70(amara, tomasz) -> list[int]:  # type: ignore[no-untyped-def]
    amara.get(base(amara) + "/")  # both have launched: the course's staff is the pair
    tomasz.get(base(tomasz) + "/")
    course = db.session.get(Course, amara.course_id)
    return seed_observations(course, 70)


def test_a_long_group_is_shown_a_window_at_a_time_newest_first(amara, course_with_70):
    done = newest_first(State.REFLECTED, State.CLOSED)
    assert len(done) > 2 * LIST_SHOWN  # three windows
    url = base(amara) + "/"
    first = amara.get(url)
    assert shown_ids(first, "done") == done[:LIST_SHOWN]
    assert f"1–{LIST_SHOWN} of {len(done)}, newest first" in section(first, "done")
    assert f'href="{url}?done={LIST_SHOWN}#done-heading">Older' in section(first, "done")
    assert "Newer" not in section(first, "done")

    second = amara.get(f"{url}?done={LIST_SHOWN}")
    assert shown_ids(second, "done") == done[LIST_SHOWN:2 * LIST_SHOWN]
    assert f'href="{url}#done-heading">Newer' in section(second, "done")

    last = amara.get(f"{url}?done={2 * LIST_SHOWN}")
    assert shown_ids(last, "done") == done[2 * LIST_SHOWN:]
    assert "Older" not in section(last, "done")
    # The other groups keep their first window.
    now = newest_first(State.IN_PROGRESS, State.SHARED)
    assert shown_ids(last, "now") == now[:LIST_SHOWN]


def test_a_window_beyond_the_end_says_so_and_keeps_the_count(amara, course_with_70):
    done = newest_first(State.REFLECTED, State.CLOSED)
    resp = amara.get(base(amara) + "/?done=900")
    assert shown_ids(resp, "done") == []
    assert f"({len(done)})" in section(resp, "done")
    assert "Back to the newest" in section(resp, "done")


def test_an_offset_that_is_not_a_plain_number_shows_the_first_window(amara, course_with_70):
    done = newest_first(State.REFLECTED, State.CLOSED)
    for junk in ("abc", "-20", "1e3", "٣", "20.5", "9999999", ""):
        resp = amara.get(base(amara) + "/", query_string={"done": junk})
        assert shown_ids(resp, "done") == done[:LIST_SHOWN], junk


def test_a_colleague_outside_the_pairs_sees_none_of_them(people, amara, course_with_70):
    priya = people("teacher-3", "Priya Raman")
    resp = priya.get(base(priya) + "/")
    assert resp.status_code == 200
    assert "No observations yet" in page(resp)
    assert not re.search(r'/observations/\d+"', page(resp))
