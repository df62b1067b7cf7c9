"""The class list and the learner profile in a constant number of SQL statements."""

from __future__ import annotations

from tests.notes.conftest import add_note, base, pid
from tests.support.sql import count_statements


def _count(person, url: str) -> int:  # type: ignore[no-untyped-def]
    with count_statements() as statements:
        resp = person.get(url)
    assert resp.status_code == 200
    return len(statements)


def test_the_class_list_does_not_grow_with_learners_or_notes(school, people) -> None:
    ada = school["ada"]
    small = _count(ada, base(ada) + "/")
    for n in range(4):
        people(f"learner-extra-{n}", f"Extra Learner {n}", ["http://purl.imsglobal.org/vocab/"
                                                             "lis/v2/membership#Learner"])
    add_note(ada, ["learner-lea", "learner-max"], follow_up="Follow up")
    add_note(ada, ["learner-lea"], is_key="y")
    assert _count(ada, base(ada) + "/") == small


def test_the_learner_profile_does_not_grow_with_notes(school) -> None:
    ada, bo = school["ada"], school["bo"]
    add_note(ada, ["learner-lea"])
    url = f"{base(bo)}/learners/{pid('learner-lea')}"
    one = _count(bo, url)
    add_note(ada, ["learner-lea"], category="wellbeing")
    add_note(bo, ["learner-lea"], follow_up="x")
    add_note(ada, ["learner-lea"], is_key="y")
    assert _count(bo, url) == one
