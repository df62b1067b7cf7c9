"""Who may read a note about a learner, and whom a teacher may see as a learner: once, here.

**The learner rule** (:func:`shares_course`): a staff member sees a learner only while
they share a course now: an active staff membership and the learner's active learner
membership in the same course. Person rows belong to one platform, so nothing
crosses from one platform registration to another.

**The note rule** (:func:`note_rule`), a condition on ``learner_note``: the note is on
the person's platform, is not deleted, the person shares an active course with its
learner now, and the note's visibility admits them:

* ``our`` (the default): that is all;
* ``course``: they are also active staff of the course the note was written in, and
  the learner is still an active learner there;
* ``me``: they are its author.

Learners never reach any of it: every notes URL lies under the course blueprint, which
refuses anyone who is not active staff of the course (403), and a learner's
person id satisfies no staff membership here.

From the one rule come the single-note loader (:func:`load_note`: 404 for anyone else,
whether or not the note exists), every list of this package (``where(note_rule(...))``
inside the list's own query), the shared blocks' filters and the "who can see this?"
panel (the ``learner_note`` kind in the registry, :func:`note_audience`).

Sensitive categories (wellbeing, support need) follow the same rule; what differs is
how they are shown: lists say only that such a note exists, and the text is read
through a deliberate POST that is audited (:mod:`lti_tool.notes.views`).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort
from sqlalchemy.orm import aliased

from lti_tool.courses.models import Membership, Person
from lti_tool.extensions import db
from lti_tool.notes.models import LearnerNote, Visibility


def shares_course(person_id: Any, learner_id: Any, course_id: Any = None
                  ) -> sa.ColumnElement[bool]:
    """The person is active staff in a course (this one, if given) where the learner is
    an active learner."""
    staff = aliased(Membership)
    learner = aliased(Membership)
    query = (
        sa.select(staff.id)
        .join(learner, learner.course_id == staff.course_id)
        .where(staff.person_id == person_id, staff.active.is_(True), staff.is_staff.is_(True),
               learner.person_id == learner_id, learner.active.is_(True),
               learner.is_learner.is_(True))
    )
    if course_id is not None:
        query = query.where(staff.course_id == course_id)
    return query.correlate_except(staff, learner).exists()


def note_rule(person_id: Any, platform_id: Any) -> sa.ColumnElement[bool]:
    """The rule: the notes this person may read (a condition on ``learner_note``)."""
    return sa.and_(
        LearnerNote.platform_id == platform_id,
        LearnerNote.deleted_at.is_(None),
        shares_course(person_id, LearnerNote.learner_id),
        sa.or_(
            LearnerNote.visibility == Visibility.OUR,
            sa.and_(LearnerNote.visibility == Visibility.COURSE,
                    shares_course(person_id, LearnerNote.learner_id, LearnerNote.course_id)),
            sa.and_(LearnerNote.visibility == Visibility.ME, LearnerNote.author_id == person_id),
        ),
    )


def visible_note(note_id: int, person: Person) -> LearnerNote | None:
    """The note if this person may read it, else None. One query."""
    if not 0 < note_id < 2**31:
        return None
    return db.session.scalars(
        sa.select(LearnerNote).where(LearnerNote.id == note_id,
                                     note_rule(person.id, person.platform_id))
    ).first()


def load_note(note_id: int, person: Person) -> LearnerNote:
    """The note if this person may read it; otherwise 404, whether or not it exists."""
    note = visible_note(note_id, person)
    if note is None:
        abort(404)
    return note


def may_edit(note: LearnerNote, person: Person) -> bool:
    """Only the author edits or deletes a note (and only while they may read it)."""
    return note.author_id == person.id


def load_learner(learner_id: int, person: Person) -> Person:
    """A learner this staff member shares an active course with now; otherwise 404."""
    if not 0 < learner_id < 2**31:
        abort(404)
    learner = db.session.scalars(
        sa.select(Person).where(Person.id == learner_id,
                                Person.platform_id == person.platform_id,
                                shares_course(person.id, Person.id))
    ).first()
    if learner is None:
        abort(404)
    return learner


def learner_audience(learner_id: int) -> list[Person]:
    """The staff who may see this learner now (and so every "our learners" note about them)."""
    staff = aliased(Person)
    rows = db.session.scalars(
        sa.select(staff).where(shares_course(staff.id, learner_id))
        .order_by(staff.family_name, staff.name, staff.id)
    ).all()
    return list(rows)
