"""Notes fixtures: teachers and learners launched from the LMS as separate browsers.

* Course 1 (BIO 7): Ada and Bo teach; Lea and Max are learners.
* Course 2 (CHEM 8): Cy teaches; Lea is a learner there too (Cy shares Lea, not Max).
* Course 3 (ART 9): Dee teaches; she shares no learner with the others.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa

from lti_tool.courses.models import Person as PersonRow
from lti_tool.extensions import db
from lti_tool.notes.models import LearnerNote, NoteAudit
from tests.planning.conftest import (  # noqa: F401 (people: a fixture)
    COURSE_1,
    COURSE_2,
    INSTRUCTOR,
    LEARNER,
    TA,
    Person,
    page,
    people,
)

COURSE_3 = {"id": "course-3", "label": "ART 9", "title": "Art Year 9"}

__all__ = ["COURSE_1", "COURSE_2", "COURSE_3", "INSTRUCTOR", "LEARNER", "TA", "Person", "page"]


@pytest.fixture
def school(people) -> dict[str, Person]:  # type: ignore[no-untyped-def]  # noqa: F811
    ada = people("teacher-ada", "Ada Teacher")
    bo = people("teacher-bo", "Bo Colleague")
    lea = people("learner-lea", "Lea Learner", LEARNER)
    lea.launch(roles=LEARNER, context=COURSE_2)
    lea.launch(roles=LEARNER, context=COURSE_1)
    max_ = people("learner-max", "Max Learner", LEARNER)
    cy = people("teacher-cy", "Cy Chemist", context=COURSE_2)
    dee = people("teacher-dee", "Dee Artist", context=COURSE_3)
    return {"ada": ada, "bo": bo, "lea": lea, "max": max_, "cy": cy, "dee": dee}


def base(person: Person) -> str:
    return f"/courses/{person.course_id}/notes"


def pid(sub: str) -> int:
    found = db.session.scalar(sa.select(PersonRow.id).filter_by(sub=sub))
    assert found is not None, sub
    return found


def note_form(**overrides: Any) -> dict[str, Any]:
    form = {"category": "academic", "body": "Reads fluently; needs stretch tasks.",
            "visibility": "our", "follow_up": "", "follow_up_owner_id": "",
            "follow_up_due": ""}
    form.update(overrides)
    return form


def add_note(author: Person, learner_subs: list[str], **overrides: Any) -> list[int]:
    """Add a note through the form, as the author does; returns the new notes' ids."""
    before = db.session.scalar(sa.select(sa.func.max(LearnerNote.id))) or 0
    data = note_form(**overrides)
    data["learner"] = [str(pid(s)) for s in learner_subs]
    resp = author.post(base(author) + "/new", data)
    assert resp.status_code == 303, (resp.status_code, page(resp)[:2000])
    ids = db.session.scalars(sa.select(LearnerNote.id).where(LearnerNote.id > before)
                             .order_by(LearnerNote.id)).all()
    db.session.remove()
    return list(ids)


def audit_lines(**where: Any) -> list[NoteAudit]:
    lines = db.session.scalars(sa.select(NoteAudit).filter_by(**where).order_by(NoteAudit.id)
                               ).all()
    return list(lines)


def version_of(resp) -> str:  # type: ignore[no-untyped-def]
    match = re.search(r'name="version" type="hidden" value="(\d+)"|'
                      r'type="hidden" name="version" value="(\d+)"|'
                      r'id="version" name="version" type="hidden" value="(\d+)"', page(resp))
    assert match, "no version field"
    return next(g for g in match.groups() if g)
