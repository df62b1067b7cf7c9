"""The one rule, as a matrix: role x relationship x visibility x category.

The single-note check (:func:`visible_note`) and the list filter (``note_rule`` inside a
query) must agree for every cell, and the pages must follow them: a note is shown (200)
to exactly those the rule admits and is 404 for everyone else; learners get 403 on
every notes URL.
"""

from __future__ import annotations

import itertools

import pytest
import sqlalchemy as sa

from lti_tool.courses.models import Course, Membership, Person
from lti_tool.db import utcnow
from lti_tool.extensions import db
from lti_tool.lti.models import Platform
from lti_tool.notes.models import Category, LearnerNote, Visibility
from lti_tool.notes.policy import note_rule, visible_note
from tests.notes.conftest import add_note, audit_lines, base, page, pid

RELATIONSHIPS = {
    # name: (role in the note's course, role in a second course Lea attends, expected by visibility)
    "author": {"our": True, "course": True, "me": True},
    "same course teacher": {"our": True, "course": True, "me": False},
    "same course TA": {"our": True, "course": True, "me": False},
    "teacher of another course of the learner": {"our": True, "course": False, "me": False},
    "teacher of no course of the learner": {"our": False, "course": False, "me": False},
    "former teacher (membership inactive)": {"our": False, "course": False, "me": False},
    "learner of the course": {"our": False, "course": False, "me": False},
    "the learner themself": {"our": False, "course": False, "me": False},
    "teacher on another platform": {"our": False, "course": False, "me": False},
}


def _person(platform_id: int, sub: str) -> Person:
    person = Person(platform_id=platform_id, sub=sub, name=sub)
    db.session.add(person)
    db.session.flush()
    return person


def _member(course: Course, person: Person, *, staff: bool = False, learner: bool = False,
            active: bool = True) -> None:
    db.session.add(Membership(course_id=course.id, person_id=person.id, is_staff=staff,
                              is_learner=learner, active=active,
                              roles="instructor" if staff else "learner"))


@pytest.fixture
def matrix(app, platform):  # type: ignore[no-untyped-def]
    home = db.session.scalars(sa.select(Platform)).one()
    other = Platform(name="Other", issuer="https://other.example", client_id="c",
                     auth_login_url="https://other.example/a",
                     auth_token_url="https://other.example/t",
                     key_set_url="https://other.example/k")
    db.session.add(other)
    db.session.flush()
    c1 = Course(platform_id=home.id, context_id="c1", title="One")
    c2 = Course(platform_id=home.id, context_id="c2", title="Two")
    c3 = Course(platform_id=home.id, context_id="c3", title="Three")
    c_other = Course(platform_id=other.id, context_id="c1", title="Elsewhere")
    db.session.add_all([c1, c2, c3, c_other])
    db.session.flush()
    lea = _person(home.id, "lea")
    _member(c1, lea, learner=True)
    _member(c2, lea, learner=True)
    people = {}
    people["author"] = p = _person(home.id, "author")
    _member(c1, p, staff=True)
    people["same course teacher"] = p = _person(home.id, "t1")
    _member(c1, p, staff=True)
    people["same course TA"] = p = _person(home.id, "ta1")
    _member(c1, p, staff=True)
    people["teacher of another course of the learner"] = p = _person(home.id, "t2")
    _member(c2, p, staff=True)
    people["teacher of no course of the learner"] = p = _person(home.id, "t3")
    _member(c3, p, staff=True)
    people["former teacher (membership inactive)"] = p = _person(home.id, "old")
    _member(c1, p, staff=True, active=False)
    people["learner of the course"] = p = _person(home.id, "max")
    _member(c1, p, learner=True)
    people["the learner themself"] = lea
    # The same LMS user id on another platform, teaching a course there.
    people["teacher on another platform"] = p = _person(other.id, "t1")
    _member(c_other, p, staff=True)
    notes = {}
    for visibility, category in itertools.product(Visibility, Category):
        note = LearnerNote(platform_id=home.id, course_id=c1.id, learner_id=lea.id,
                           author_id=people["author"].id, category=category, body="text",
                           visibility=visibility, created_at=utcnow(), updated_at=utcnow())
        db.session.add(note)
        db.session.flush()
        notes[(visibility, category)] = note.id
    db.session.commit()
    return people, notes


@pytest.mark.parametrize("relationship", sorted(RELATIONSHIPS))
def test_the_rule_as_a_matrix(matrix, relationship: str) -> None:
    people, notes = matrix
    person = people[relationship]
    listed = set(db.session.scalars(sa.select(LearnerNote.id).where(
        note_rule(person.id, person.platform_id))))
    for (visibility, category), note_id in notes.items():
        expected = RELATIONSHIPS[relationship][visibility]
        single = visible_note(note_id, person) is not None
        assert single == expected, (relationship, visibility, category)
        assert (note_id in listed) == expected, (relationship, visibility, category)


def test_a_deleted_note_is_read_by_nobody(matrix) -> None:
    people, notes = matrix
    note_id = notes[(Visibility.OUR, Category.ACADEMIC)]
    db.session.execute(sa.update(LearnerNote).where(LearnerNote.id == note_id)
                       .values(deleted_at=utcnow()))
    db.session.commit()
    assert visible_note(note_id, people["author"]) is None


def test_a_learner_leaving_the_shared_course_takes_the_notes_with_them(matrix) -> None:
    people, notes = matrix
    lea = people["the learner themself"]
    db.session.execute(sa.update(Membership).where(Membership.person_id == lea.id)
                       .values(active=False))
    db.session.commit()
    assert visible_note(notes[(Visibility.OUR, Category.ACADEMIC)], people["author"]) is None


# --- the pages follow the rule -----------------------------------------------------------


def _urls(course_base: str, note_id: int, learner_id: int) -> list[tuple[str, str]]:
    return [("GET", course_base + "/"), ("GET", course_base + "/new?learner=" + str(learner_id)),
            ("POST", course_base + "/new"), ("GET", f"{course_base}/learners/{learner_id}"),
            ("GET", f"{course_base}/{note_id}"), ("POST", f"{course_base}/{note_id}/open"),
            ("GET", f"{course_base}/{note_id}/edit"), ("POST", f"{course_base}/{note_id}/edit"),
            ("GET", f"{course_base}/{note_id}/history"),
            ("GET", f"{course_base}/{note_id}/delete"),
            ("POST", f"{course_base}/{note_id}/delete")]


def test_learners_get_403_on_every_notes_url(school) -> None:
    ada, lea = school["ada"], school["lea"]
    [note_id] = add_note(ada, ["learner-lea"], is_key="y")
    for method, url in _urls(base(lea), note_id, pid("learner-lea")):
        resp = lea.get(url) if method == "GET" else lea.post(url, {"body": "x"})
        assert resp.status_code == 403, (method, url, resp.status_code)
        assert "Reads fluently" not in page(resp)
    # Every URL the app has under notes is in the list above.
    rules = {r.rule for r in ada.app.url_map.iter_rules()
             if r.rule.startswith("/courses/<int:course_id>/notes")}
    assert len(rules) == 8


def test_the_done_means_journey(school) -> None:
    """A teacher adds a key note; a second teacher of the learner sees it; a teacher of
    another course does not; the learner cannot reach it; the audit log has each read."""
    ada, bo, cy, dee, lea = (school[k] for k in ("ada", "bo", "cy", "dee", "lea"))
    listing = ada.get(base(ada) + "/")
    assert listing.status_code == 200
    assert "Lea Learner" in page(listing)
    assert "Max Learner" in page(listing)
    [note_id] = add_note(ada, ["learner-lea"], is_key="y", body="Needs extra time in tests.")
    lea_id = pid("learner-lea")
    profile = bo.get(f"{base(bo)}/learners/{lea_id}")
    assert profile.status_code == 200
    assert "Needs extra time in tests." in page(profile)
    assert "Key note" in page(profile)
    # Cy teaches Lea in chemistry: "our learners" reaches him too.
    assert "Needs extra time" in page(cy.get(f"{base(cy)}/learners/{lea_id}"))
    # Dee teaches neither: no profile, no note.
    assert dee.get(f"{base(dee)}/learners/{lea_id}").status_code == 404
    assert dee.get(f"{base(dee)}/{note_id}").status_code == 404
    assert lea.get(f"{base(lea)}/{note_id}").status_code == 403
    lines = audit_lines(note_id=note_id)
    assert [(line.action, line.actor_name) for line in lines] == [
        ("create", "Ada Teacher"), ("read", "Bo Colleague"), ("read", "Cy Chemist")]
    assert all(line.learner_id == lea_id for line in lines)
    assert lines[1].course_id == bo.course_id
    assert lines[2].course_id == cy.course_id


def test_course_only_and_private_notes_on_the_pages(school) -> None:
    ada, bo, cy = school["ada"], school["bo"], school["cy"]
    [course_note] = add_note(ada, ["learner-lea"], visibility="course", body="Course only.")
    [private] = add_note(ada, ["learner-lea"], visibility="me", body="Mine only.")
    assert bo.get(f"{base(bo)}/{course_note}").status_code == 200
    assert cy.get(f"{base(cy)}/{course_note}").status_code == 404
    assert bo.get(f"{base(bo)}/{private}").status_code == 404
    assert ada.get(f"{base(ada)}/{private}").status_code == 200
    # Who can see it: the panel names exactly those the rule admits.
    text = page(bo.get(f"{base(bo)}/{course_note}"))
    panel = text[text.index("Who can see this note?"):]
    assert "Ada Teacher" in panel
    assert "Bo Colleague" in panel
    assert "Cy Chemist" not in panel


def test_a_restricted_note_shows_only_that_it_exists_until_opened(school) -> None:
    ada, bo = school["ada"], school["bo"]
    [note_id] = add_note(ada, ["learner-lea"], category="wellbeing", body="Bereavement.")
    lea_id = pid("learner-lea")
    profile = page(bo.get(f"{base(bo)}/learners/{lea_id}"))
    assert "A wellbeing note exists" in profile
    assert "Bereavement" not in profile
    shown = bo.get(f"{base(bo)}/{note_id}")
    assert shown.status_code == 200
    assert "Bereavement" not in page(shown)
    assert [line.action for line in audit_lines(note_id=note_id)] == ["create"]
    opened = bo.post(f"{base(bo)}/{note_id}/open")
    assert opened.status_code == 200
    assert "Bereavement." in page(opened)
    lines = audit_lines(note_id=note_id)
    assert (lines[-1].action, lines[-1].actor_name, lines[-1].detail) == (
        "read", "Bo Colleague", "opened on purpose")
    # The history shows the text: not a way around the click.
    assert "Bereavement" not in page(bo.get(f"{base(bo)}/{note_id}/history"))
    # Without the form's token the click is refused and nothing is logged.
    refused = bo.post(f"{base(bo)}/{note_id}/open", csrf=False)
    assert refused.status_code == 400
    assert len(audit_lines(note_id=note_id)) == len(lines)


def test_only_the_author_edits_or_deletes(school) -> None:
    ada, bo = school["ada"], school["bo"]
    [note_id] = add_note(ada, ["learner-lea"])
    assert bo.get(f"{base(bo)}/{note_id}/edit").status_code == 403
    assert bo.post(f"{base(bo)}/{note_id}/edit", {"version": "1", "body": "x",
                                                  "category": "academic",
                                                  "visibility": "our"}).status_code == 403
    assert bo.post(f"{base(bo)}/{note_id}/delete").status_code == 403
    assert db.session.get(LearnerNote, note_id).deleted_at is None
