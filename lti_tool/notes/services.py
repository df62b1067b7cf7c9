"""Notes about learners: writing, editing, deleting, the class list, the learner profile,
purge, export and erasure. Every read and write is filtered by :mod:`.policy` and
written to the audit log (:mod:`.audit`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import aliased

from lti_tool.courses.models import Course, Membership, Person
from lti_tool.courses.registry import Subject
from lti_tool.db import utcnow
from lti_tool.discussion.models import Comment
from lti_tool.extensions import db
from lti_tool.notes import audit
from lti_tool.notes.audit import Actor
from lti_tool.notes.models import (
    CATEGORY_LABELS,
    SENSITIVE,
    Action,
    Category,
    LearnerNote,
    LearnerNoteVersion,
    NoteAudit,
    Visibility,
)
from lti_tool.notes.policy import note_rule
from lti_tool.tasks import services as tasks
from lti_tool.tasks.models import Task, TaskStatus

KIND = "learner_note"
BODY_MAX = 20_000
FOLLOW_UP_MAX = tasks.TITLE_MAX
LEARNERS_MAX = 200  # learners one note may be added to at once


class NoteError(Exception):
    """A value the note cannot be saved with; ``field`` names the form field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class StaleNoteError(Exception):
    """The note changed since the form was opened; nothing was written."""


@dataclass
class NoteInput:
    category: str
    body: str
    visibility: str = Visibility.OUR
    is_key: bool = False
    follow_up: str = ""
    follow_up_owner_id: int | None = None
    follow_up_due: date | None = None


@dataclass
class NoteErrors:
    fields: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.fields)


def validate(data: NoteInput, staff_ids: set[int]) -> NoteErrors:
    errors = NoteErrors()
    if data.category not in set(Category):
        errors.fields["category"] = "Choose a category from the list"
    body = data.body.strip()
    if not body:
        errors.fields["body"] = "Write the note"
    elif len(body) > BODY_MAX:
        errors.fields["body"] = (f"Keep a note to {BODY_MAX:,} characters "
                                 f"(this one has {len(body):,})")
    if data.visibility not in set(Visibility):
        errors.fields["visibility"] = "Choose who can see the note"
    follow_up = data.follow_up.strip()
    if len(follow_up) > FOLLOW_UP_MAX:
        errors.fields["follow_up"] = f"Keep the follow-up to {FOLLOW_UP_MAX} characters"
    if not follow_up and (data.follow_up_owner_id or data.follow_up_due):
        errors.fields["follow_up"] = "Say what the follow-up is, or clear its owner and date"
    if data.follow_up_owner_id is not None and data.follow_up_owner_id not in staff_ids:
        errors.fields["follow_up_owner_id"] = "Choose a colleague from the list"
    return errors


def subject(note_id: int) -> Subject:
    return Subject(KIND, note_id)


def term_start(today: date | None = None) -> date:
    """The first day of the current term: the latest of the configured term starts
    (``NOTES_TERM_STARTS``, month-day) on or before today."""
    today = today or utcnow().date()
    starts = []
    for text in current_app.config["NOTES_TERM_STARTS"]:
        month, day = (int(part) for part in str(text).split("-"))
        for year in (today.year, today.year - 1):
            starts.append(date(year, month, day))
    return max(s for s in starts if s <= today)


# --- who is in the course ------------------------------------------------------------------


def course_learner_ids(course_id: Any) -> sa.Select:
    return sa.select(Membership.person_id).where(
        Membership.course_id == course_id, Membership.active.is_(True),
        Membership.is_learner.is_(True))


def course_staff(course_id: int) -> list[Person]:
    return list(db.session.scalars(
        sa.select(Person).join(Membership, Membership.person_id == Person.id)
        .where(Membership.course_id == course_id, Membership.is_active_staff())
        .order_by(Person.family_name, Person.name, Person.id)).all())


def learners_in_course(course_id: int, ids: list[int]) -> list[Person]:
    if not ids:
        return []
    return list(db.session.scalars(
        sa.select(Person).where(Person.id.in_(ids), Person.id.in_(course_learner_ids(course_id)))
        .order_by(Person.family_name, Person.name, Person.id)).all())


# --- writing -------------------------------------------------------------------------------


def _version(note: LearnerNote, by: Person) -> LearnerNoteVersion:
    return LearnerNoteVersion(
        note_id=note.id, number=note.version, category=note.category, body=note.body,
        visibility=note.visibility, is_key=note.is_key, saved_by_id=by.id, saved_at=utcnow())


def create_notes(course: Course, author: Person, learners: list[Person], data: NoteInput
                 ) -> list[LearnerNote]:
    """One note per learner (validated input, learners of this course), in one transaction:
    the notes, their first versions, their follow-ups and the audit lines."""
    now = utcnow()
    notes = [
        LearnerNote(platform_id=course.platform_id, course_id=course.id, learner_id=learner.id,
                    author_id=author.id, category=data.category, body=data.body.strip(),
                    visibility=data.visibility, is_key=data.is_key, version=1,
                    created_at=now, updated_at=now)
        for learner in learners
    ]
    db.session.add_all(notes)
    db.session.flush()
    db.session.add_all(_version(note, author) for note in notes)
    follow_up = data.follow_up.strip()
    if follow_up:
        db.session.add_all(
            Task(subject_kind=KIND, subject_id=note.id, title=follow_up,
                 owner_id=data.follow_up_owner_id, due_on=data.follow_up_due,
                 status=TaskStatus.TO_DO, created_by_id=author.id)
            for note in notes)
    detail = CATEGORY_LABELS[Category(data.category)]
    if len(notes) > 1:
        detail += f" (one of {len(notes)} added at once)"
    audit.record_notes(Actor.staff(author, course.id), Action.CREATE, notes, detail)
    db.session.commit()
    return notes


def update_note(note: LearnerNote, author: Person, course_id: int, data: NoteInput,
                base_version: int) -> LearnerNote:
    """Save the author's edit made on ``base_version``, or raise :class:`StaleNoteError`
    (one ``UPDATE … WHERE version = ?``: of two edits from one version, one is saved)."""
    result = db.session.execute(
        sa.update(LearnerNote)
        .where(LearnerNote.id == note.id, LearnerNote.version == base_version,
               LearnerNote.deleted_at.is_(None))
        .values(version=LearnerNote.version + 1, updated_at=utcnow(),
                category=data.category, body=data.body.strip(), visibility=data.visibility,
                is_key=data.is_key)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        raise StaleNoteError
    db.session.refresh(note)
    db.session.add(_version(note, author))
    audit.record_notes(Actor.staff(author, course_id), Action.EDIT, [note],
                       f"version {note.version}")
    db.session.commit()
    return note


def delete_note(note: LearnerNote, author: Person, course_id: int) -> None:
    """Soft delete: nobody reads it any more; purged for good after the retention period."""
    db.session.execute(sa.update(LearnerNote).where(LearnerNote.id == note.id)
                       .values(deleted_at=utcnow())
                       .execution_options(synchronize_session=False))
    audit.record_notes(Actor.staff(author, course_id), Action.DELETE, [note])
    db.session.commit()


def versions(note_id: int) -> list[tuple[LearnerNoteVersion, Person | None]]:
    rows = db.session.execute(
        sa.select(LearnerNoteVersion, Person)
        .outerjoin(Person, Person.id == LearnerNoteVersion.saved_by_id)
        .where(LearnerNoteVersion.note_id == note_id)
        .order_by(LearnerNoteVersion.number.desc())).all()
    return [(v, p) for v, p in rows]


def people_by_id(ids: list[int | None]) -> dict[int, Person]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return {p.id: p for p in db.session.scalars(sa.select(Person).where(Person.id.in_(wanted)))}


def course_titles(ids: list[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return {c.id: c.display_title
            for c in db.session.scalars(sa.select(Course).where(Course.id.in_(wanted)))}


# --- the class list ------------------------------------------------------------------------

CLASS_PAGE = 100
FILTERS = {
    "all": "Every learner",
    "key": "With key notes",
    "follow_up": "With open follow-ups",
    "none_this_term": "With no note this term",
}


@dataclass(frozen=True)
class LearnerRow:
    id: int
    name: str
    notes: int
    key_notes: int
    open_follow_ups: int
    this_term: int
    last_note_at: datetime | None


@dataclass(frozen=True)
class ClassList:
    rows: list[LearnerRow]
    total: int
    page: int
    term_start: date

    @property
    def later(self) -> int | None:
        return self.page + 1 if self.page * CLASS_PAGE < self.total else None

    @property
    def earlier(self) -> int | None:
        return self.page - 1 if self.page > 1 else None


def class_list(course: Course, person: Person, *, query: str = "", show: str = "all",
               page: int = 1, today: date | None = None) -> ClassList:
    """Every active learner of the course with the counts of the notes this person may
    read (the rule, inside the query): one statement, whatever the number of learners
    and notes. Unfiltered, only the page's learners have their notes counted."""
    start = term_start(today)
    learners = (
        sa.select(Person.id)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.course_id == course.id, Membership.active.is_(True),
               Membership.is_learner.is_(True)))
    text = query.strip().lower()[:100]
    if text:
        name = sa.func.lower(sa.func.coalesce(Person.name, "") + " "
                             + sa.func.coalesce(Person.given_name, "") + " "
                             + sa.func.coalesce(Person.family_name, ""))
        learners = learners.where(name.contains(text, autoescape=True))
    readable = note_rule(person.id, person.platform_id)
    open_tasks = (
        sa.select(sa.func.count(Task.id))
        .where(Task.subject_kind == KIND, Task.subject_id == LearnerNote.id,
               Task.status != TaskStatus.DONE)
        .correlate(LearnerNote).scalar_subquery())

    def having_note(*conditions: sa.ColumnElement[bool]) -> sa.ColumnElement[bool]:
        return (sa.select(LearnerNote.id)
                .where(LearnerNote.learner_id == Membership.person_id, readable, *conditions)
                .exists())

    if show == "key":
        learners = learners.where(having_note(LearnerNote.is_key.is_(True)))
    elif show == "follow_up":
        learners = learners.where(having_note(open_tasks > 0))
    elif show == "none_this_term":
        learners = learners.where(~having_note(LearnerNote.created_at >= start))
    # Only this page's learners have their notes counted.
    counted = (learners.order_by(Person.family_name, Person.name, Person.id)
               .limit(CLASS_PAGE).offset((page - 1) * CLASS_PAGE))
    counts = (
        sa.select(LearnerNote.learner_id.label("learner_id"),
                  sa.func.count(LearnerNote.id).label("notes"),
                  sa.func.sum(sa.case((LearnerNote.is_key.is_(True), 1), else_=0)).label("key"),
                  sa.func.sum(sa.case((LearnerNote.created_at >= start, 1), else_=0)
                              ).label("term"),
                  sa.func.sum(open_tasks).label("open"),
                  sa.func.max(LearnerNote.created_at).label("last"))
        .where(LearnerNote.learner_id.in_(counted.scalar_subquery()), readable)
        .group_by(LearnerNote.learner_id).subquery())
    notes_n = sa.func.coalesce(counts.c.notes, 0)
    key_n = sa.func.coalesce(counts.c.key, 0)
    open_n = sa.func.coalesce(counts.c.open, 0)
    term_n = sa.func.coalesce(counts.c.term, 0)
    statement = (
        learners.add_columns(Person.sub, Person.name, Person.given_name, Person.family_name,
                             Person.email, notes_n, key_n, open_n, term_n, counts.c.last,
                             sa.func.count().over())
        .outerjoin(counts, counts.c.learner_id == Person.id))
    statement = (statement.order_by(Person.family_name, Person.name, Person.id)
                 .limit(CLASS_PAGE).offset((page - 1) * CLASS_PAGE))
    # (On PostgreSQL the rule's subqueries inflate the planner's estimate past
    # jit_above_cost; the tool's connections run with jit off, lti_tool/config.py.)
    rows = db.session.execute(statement).all()
    shown = [
        LearnerRow(row.id, Person.display_name.fget(row),  # type: ignore[attr-defined]
                   row[6], row[7], row[8], row[9], row[10])
        for row in rows
    ]
    total = rows[0][11] if rows else 0
    return ClassList(shown, total, page, start)


# --- the learner profile -------------------------------------------------------------------

TIMELINE_MAX = 100


@dataclass(frozen=True)
class NoteRow:
    note: LearnerNote
    author: Person | None
    course_title: str
    open_follow_ups: int

    @property
    def restricted(self) -> bool:
        return self.note.category in SENSITIVE


def my_courses_with(learner_id: int, person: Person) -> list[Course]:
    """The learner's active courses in which this person is active staff."""
    staff = aliased(Membership)
    learner = aliased(Membership)
    return list(db.session.scalars(
        sa.select(Course).join(staff, staff.course_id == Course.id)
        .join(learner, learner.course_id == Course.id)
        .where(staff.person_id == person.id, staff.active.is_(True), staff.is_staff.is_(True),
               learner.person_id == learner_id, learner.active.is_(True),
               learner.is_learner.is_(True))
        .order_by(Course.title, Course.id)).all())


def timeline(learner_id: int, person: Person, *, category: str = "", author_id: int | None = None
             ) -> list[NoteRow]:
    """The notes about the learner this person may read: key notes first, then newest first."""
    open_tasks = (sa.select(sa.func.count(Task.id))
                  .where(Task.subject_kind == KIND, Task.subject_id == LearnerNote.id,
                         Task.status != TaskStatus.DONE)
                  .correlate(LearnerNote).scalar_subquery())
    query = (
        sa.select(LearnerNote, Person, Course.title, Course.label, open_tasks)
        .outerjoin(Person, Person.id == LearnerNote.author_id)
        .join(Course, Course.id == LearnerNote.course_id)
        .where(LearnerNote.learner_id == learner_id, note_rule(person.id, person.platform_id)))
    if category:
        query = query.where(LearnerNote.category == category)
    if author_id is not None:
        query = query.where(LearnerNote.author_id == author_id)
    rows = db.session.execute(
        query.order_by(LearnerNote.is_key.desc(), LearnerNote.created_at.desc(),
                       LearnerNote.id.desc()).limit(TIMELINE_MAX)).all()
    return [NoteRow(n, a, title or label or "", open_n or 0)
            for n, a, title, label, open_n in rows]


def authors_of(learner_id: int, person: Person) -> list[Person]:
    """Who wrote the notes about the learner this person may read (the timeline's filter)."""
    ids = (sa.select(LearnerNote.author_id)
           .where(LearnerNote.learner_id == learner_id, note_rule(person.id, person.platform_id)))
    return list(db.session.scalars(
        sa.select(Person).where(Person.id.in_(ids)).order_by(Person.family_name, Person.name)))


# --- retention, export, erasure ------------------------------------------------------------


def purge(older_than_days: int, now: datetime | None = None) -> int:
    """Delete for good the notes deleted more than ``older_than_days`` ago (with their
    versions, follow-ups and replies); one audit line each. Returns how many."""
    cutoff = (now or utcnow()) - timedelta(days=older_than_days)
    doomed = db.session.scalars(
        sa.select(LearnerNote).where(LearnerNote.deleted_at.is_not(None),
                                     LearnerNote.deleted_at < cutoff)).all()
    if not doomed:
        return 0
    audit.record_notes(audit.SYSTEM, Action.PURGE, doomed,
                       f"deleted more than {older_than_days} days ago")
    db.session.execute(sa.delete(LearnerNote).where(LearnerNote.id.in_([n.id for n in doomed])))
    db.session.commit()
    return len(doomed)


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def _plain(row: Any, columns: list[str]) -> dict[str, Any]:
    return {c: _iso(getattr(row, c)) for c in columns}


def find_learner(platform_id: int, learner_id: int) -> Person | None:
    return db.session.scalars(sa.select(Person).where(
        Person.id == learner_id, Person.platform_id == platform_id)).first()


def export_learner(learner: Person) -> dict[str, Any]:
    """Everything Staffroom holds about one learner: who they are, their courses, every
    note about them (deleted ones too, until purged) with each version, follow-up and
    reply, and the audit log's lines about them."""
    memberships = db.session.execute(
        sa.select(Membership, Course).join(Course, Course.id == Membership.course_id)
        .where(Membership.person_id == learner.id).order_by(Course.id)).all()
    notes = db.session.scalars(sa.select(LearnerNote).where(LearnerNote.learner_id == learner.id)
                               .order_by(LearnerNote.id)).all()
    ids = [n.id for n in notes]
    people = people_by_id([n.author_id for n in notes])
    all_versions = db.session.scalars(sa.select(LearnerNoteVersion).where(
        LearnerNoteVersion.note_id.in_(ids)).order_by(LearnerNoteVersion.id)).all()
    follow_ups = db.session.scalars(sa.select(Task).where(
        Task.subject_kind == KIND, Task.subject_id.in_(ids)).order_by(Task.id)).all()
    replies = db.session.scalars(sa.select(Comment).where(
        Comment.subject_kind == KIND, Comment.subject_id.in_(ids)).order_by(Comment.id)).all()
    people.update(people_by_id([v.saved_by_id for v in all_versions]
                               + [c.author_id for c in replies]
                               + [t.owner_id for t in follow_ups]))
    lines = db.session.scalars(sa.select(NoteAudit).where(NoteAudit.learner_id == learner.id)
                               .order_by(NoteAudit.id)).all()

    def name(pid: int | None) -> str | None:
        return people[pid].display_name if pid in people else None

    return {
        "exported_at": utcnow().isoformat(),
        "learner": {**_plain(learner, ["id", "sub", "name", "given_name", "family_name",
                                       "email", "created_at"]),
                    "platform_id": learner.platform_id},
        "courses": [{"course_id": c.id, "title": c.display_title, "roles": m.roles,
                     "active": m.active, "learner": m.is_learner, "source": m.source}
                    for m, c in memberships],
        "notes": [{
            **_plain(n, ["id", "course_id", "category", "body", "visibility", "is_key",
                         "version", "created_at", "updated_at", "deleted_at"]),
            "author": name(n.author_id),
            "versions": [{**_plain(v, ["number", "category", "body", "visibility", "is_key",
                                       "saved_at"]), "saved_by": name(v.saved_by_id)}
                         for v in all_versions if v.note_id == n.id],
            "follow_ups": [{**_plain(t, ["title", "due_on", "status", "created_at"]),
                            "owner": name(t.owner_id)}
                           for t in follow_ups if t.subject_id == n.id],
            "replies": [{**_plain(c, ["body", "created_at", "edited_at"]),
                         "author": name(c.author_id)}
                        for c in replies if c.subject_id == n.id],
        } for n in notes],
        "audit": [_plain(a, ["at", "action", "actor_kind", "actor_name", "course_id",
                             "note_id", "detail"]) for a in lines],
    }


def erase_learner(learner: Person, actor: Actor) -> int:
    """Delete every note about the learner for good (versions, follow-ups, replies and
    search entries go with them), and audit the erasure. Returns how many notes."""
    count = db.session.scalar(sa.select(sa.func.count(LearnerNote.id))
                              .where(LearnerNote.learner_id == learner.id)) or 0
    db.session.execute(sa.delete(LearnerNote).where(LearnerNote.learner_id == learner.id))
    audit.record(actor, Action.ERASE, platform_id=learner.platform_id, learner_id=learner.id,
                 detail=f"{count} note(s) erased on request")
    db.session.commit()
    return count


def learner_search(platform_id: int | None, text: str) -> list[tuple[Person, str]]:
    """Learners (people with a learner membership) whose name or email contains ``text``."""
    text = text.strip().lower()[:100]
    if not text:
        return []
    hay = sa.func.lower(sa.func.coalesce(Person.name, "") + " "
                        + sa.func.coalesce(Person.email, "") + " " + Person.sub)
    query = (sa.select(Person).where(
        hay.contains(text, autoescape=True),
        Person.id.in_(sa.select(Membership.person_id).where(Membership.is_learner.is_(True)))))
    if platform_id is not None:
        query = query.where(Person.platform_id == platform_id)
    people = db.session.scalars(query.order_by(Person.name, Person.id).limit(50)).all()
    return [(p, p.email or p.sub) for p in people]
