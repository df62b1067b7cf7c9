"""Forms: starter, institution (admin page) and teachers' copies for a space; versions
that never change an observation already made."""

from __future__ import annotations

import re

import pytest

from lti_tool.observations import template_text
from lti_tool.observations.builtin_templates import BUILTIN_TEMPLATES
from tests.observations.conftest import (
    COURSE_2,
    base,
    observation,
    page,
    start,
    template_id,
)


def test_the_three_starter_forms_parse_and_read_back():
    assert [t.key for t in BUILTIN_TEMPLATES] == ["peer", "domains", "learning-walk"]
    domains = BUILTIN_TEMPLATES[1].structure
    assert [s["title"] for s in domains["sections"]] == [
        "Planning and preparation", "Classroom environment", "Instruction",
        "Professional responsibilities"]
    walk = BUILTIN_TEMPLATES[2].structure
    assert all(not c["rated"] for _, c in template_text.criteria(walk))  # a walk rates nothing
    for t in BUILTIN_TEMPLATES:
        assert template_text.parse(template_text.render(t.structure)) == t.structure
        labels = [p["label"] for p in t.structure["prompts"]]
        assert labels


@pytest.mark.parametrize(("text", "message"), [
    ("- A look-for before any section", "must come after a section title"),
    ("# S\n- Same\n- same", "is in the form twice"),
    ("# S\nplain line", "start it with #"),
    ("# Empty section only", "at least one look-for"),
    ("# S\n- " + "x" * 501, "keep look-fors to 500"),
    ("# S\n- ok\x00", "NUL"),
])
def test_a_form_text_that_is_not_usable_says_which_line(text, message):
    with pytest.raises(template_text.TemplateTextError, match=message):
        template_text.parse(text)


def test_options_keep_only_the_rating_or_the_evidence():
    structure = template_text.parse("# S\n- Rated only [rating]\n- Words only [evidence]\n"
                                    "- Both [Rating, Evidence]\n- Brackets [stay] in text")
    got = [(c["text"], c["rated"], c["evidence"]) for _, c in template_text.criteria(structure)]
    assert got == [("Rated only", True, False), ("Words only", False, True),
                   ("Both", True, True), ("Brackets [stay] in text", True, True)]


def copy_for_space(person, name: str = "Our peer form") -> int:  # type: ignore[no-untyped-def]
    from tests.planning.conftest import course_space_id

    space_id = course_space_id(person)
    tid = template_id(person)
    resp = person.post(f"{base(person)}/forms/{tid}/copy", {"space_id": str(space_id),
                                                            "name": name})
    assert resp.status_code == 303, page(resp)[:2000]
    return int(re.search(r"/forms/(\d+)/edit", resp.headers["Location"]).group(1))


def test_editing_a_form_never_changes_a_finished_observation(amara, tomasz):
    copy = copy_for_space(amara)
    # An observation made with the copy, finished and shared.
    oid = start(amara, tomasz.sub, template_id=str(copy))
    before = observation(oid)
    pinned = before.template_version_id
    from tests.observations.conftest import autosave, move, ratings_of

    move(tomasz, oid, "scheduled")
    move(tomasz, oid, "in_progress")
    keys = ratings_of(oid)
    autosave(tomasz, oid, {"version": observation(oid).version,
                           "ratings": {k: {"rating": "3", "evidence": "seen"}
                                       for k in keys.values()}})
    move(tomasz, oid, "shared")
    shown_before = page(amara.get(f"{base(amara)}/{oid}"))
    # Tomasz (same space) rewrites the form: a look-for renamed, a section dropped.
    edit = page(tomasz.get(f"{base(tomasz)}/forms/{copy}/edit"))
    assert "# Learning in the room" in edit
    new_text = "# Only this now\n- Learners explain their thinking\n? What went well\n"
    resp = tomasz.post(f"{base(tomasz)}/forms/{copy}/edit", {
        "name": "Our peer form, v2", "description": "", "text": new_text, "version": "1"})
    assert resp.status_code == 303, page(resp)[:2000]
    after = observation(oid)
    assert after.template_version_id == pinned
    assert after.template_version.number == 1
    assert {r.criterion for r in after.ratings} == set(keys)
    shown_after = page(amara.get(f"{base(amara)}/{oid}"))
    assert "Questions drew out and checked what learners think" in shown_after
    assert "Learners explain their thinking" not in shown_after
    assert shown_before.count("Proficient") == shown_after.count("Proficient")
    # A new observation uses the new version.
    newer = start(amara, tomasz.sub, template_id=str(copy))
    assert observation(newer).template_version.number == 2


def test_a_stale_form_edit_is_refused_and_shows_the_colleagues_text(amara, tomasz):
    copy = copy_for_space(amara)
    text = "# A\n- One\n"
    assert amara.post(f"{base(amara)}/forms/{copy}/edit", {
        "name": "n", "description": "", "text": text, "version": "1"}).status_code == 303
    resp = tomasz.post(f"{base(tomasz)}/forms/{copy}/edit", {
        "name": "n", "description": "", "text": "# B\n- Mine\n", "version": "1"})
    assert resp.status_code == 409
    html = page(resp)
    assert "saved this form while you were editing" in html
    assert "# B\n- Mine" in html  # what Tomasz typed stays in the form
    assert "- One" in html  # Amara's version shown


def test_a_copy_belongs_to_its_space(people, amara, tomasz):
    copy = copy_for_space(amara)
    ola = people("teacher-9", "Ola Elsewhere", context=COURSE_2)
    assert ola.get(f"{base(ola)}/forms/{copy}").status_code == 404
    assert ola.get(f"{base(ola)}/forms/{copy}/edit").status_code == 404
    assert "Our peer form" not in page(ola.get(f"{base(ola)}/forms"))
    assert tomasz.get(f"{base(tomasz)}/forms/{copy}").status_code == 200
    # A starter form cannot be edited by a teacher, only copied.
    starter = template_id(amara)
    assert amara.get(f"{base(amara)}/forms/{starter}/edit").status_code == 404


def test_copying_into_a_space_one_cannot_see_is_refused(people, amara):
    from tests.planning.conftest import course_space_id

    ola = people("teacher-9", "Ola Elsewhere", context=COURSE_2)
    foreign_space = course_space_id(ola)
    resp = amara.post(f"{base(amara)}/forms/{template_id(amara)}/copy",
                      {"space_id": str(foreign_space), "name": "Sneaky"})
    assert resp.status_code == 422
    assert "Choose one of your planning spaces" in page(resp)
