"""Search ranks a bounded number of candidates: the newest matches the teacher may read."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lti_tool.extensions import db
from lti_tool.planning.models import SpaceMember
from lti_tool.search import services
from lti_tool.search.services import search
from tests.tasks.helpers import course_space, launch, person, plan, team_space


@pytest.fixture
def ada(app, platform):
    return launch(app, platform)


def _titles(query: str, limit: int = services.RESULTS) -> list[str]:
    return [h.subject.title for h in search(person("teacher-1"), query, limit)]


def _osmosis_plans() -> None:
    space = course_space()
    plan(space, "Osmosis", body="Water moves.")  # the oldest, and the best match
    for i in range(6):
        plan(space, f"Lesson {i}", body=f"Also osmosis, briefly ({i}).")


def test_the_best_of_all_matches_when_there_are_few(ada):
    _osmosis_plans()
    found = _titles("osmosis")
    assert found[0] == "Osmosis"
    assert len(found) == 7


def test_a_common_word_is_ranked_among_its_newest_matches_only(ada, monkeypatch):
    monkeypatch.setattr(services, "CANDIDATES", 4)
    _osmosis_plans()
    found = _titles("osmosis")
    assert sorted(found) == ["Lesson 2", "Lesson 3", "Lesson 4", "Lesson 5"]
    assert len(_titles("osmosis", limit=2)) == 2


def test_candidates_are_what_the_teacher_may_read(ada, monkeypatch):
    """Newer matches the teacher may not read do not push theirs out of the candidates."""
    monkeypatch.setattr(services, "CANDIDATES", 2)
    mine = course_space()
    plan(mine, "Osmosis unit", body="Osmosis.")
    plan(mine, "Osmosis lesson", body="Osmosis again.")
    left = team_space("Private", person("teacher-1"))
    for i in range(5):
        plan(left, f"Secret {i}", body="Osmosis in secret.")
    db.session.execute(sa.update(SpaceMember).where(SpaceMember.space_id == left.id)
                       .values(status="left"))
    db.session.commit()
    assert sorted(_titles("osmosis")) == ["Osmosis lesson", "Osmosis unit"]
