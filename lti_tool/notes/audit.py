"""The audit log of notes: every create, read, edit and delete, written in the same request.

A read is written before the page that shows the note is sent (one INSERT, whatever
the number of notes shown): an audit that could be lost after the response would not
be an audit. The table refuses UPDATE and DELETE (database triggers, migration
``0011_notes``); nothing in the tool ever changes or removes a line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from lti_tool.courses.models import Person
from lti_tool.db import utcnow
from lti_tool.extensions import db
from lti_tool.notes.models import Action, LearnerNote, NoteAudit


@dataclass(frozen=True)
class Actor:
    """Who acts: a staff member (from a course), an administrator, or the system (a CLI)."""

    kind: str
    id: int | None
    name: str
    course_id: int | None = None

    @classmethod
    def staff(cls, person: Person, course_id: int) -> Actor:
        return cls("staff", person.id, person.display_name, course_id)

    @classmethod
    def admin(cls, admin_id: int, username: str) -> Actor:
        return cls("admin", admin_id, username)


SYSTEM = Actor("system", None, "Staffroom (scheduled purge)")


def _row(actor: Actor, action: Action, *, platform_id: int | None, learner_id: int | None,
         note_id: int | None, detail: str = "", at: datetime | None = None) -> dict[str, Any]:
    return {
        "at": at or utcnow(), "action": action, "actor_kind": actor.kind, "actor_id": actor.id,
        "actor_name": actor.name[:255], "platform_id": platform_id,
        "course_id": actor.course_id, "learner_id": learner_id, "note_id": note_id,
        "detail": detail[:255],
    }


def record_notes(actor: Actor, action: Action, notes: Iterable[LearnerNote],
                 detail: str = "") -> None:
    """One line per note, in one INSERT (not committed: the caller's transaction)."""
    now = utcnow()
    rows = [_row(actor, action, platform_id=n.platform_id, learner_id=n.learner_id,
                 note_id=n.id, detail=detail, at=now) for n in notes]
    if rows:
        db.session.execute(sa.insert(NoteAudit), rows)


def record(actor: Actor, action: Action, *, platform_id: int | None, learner_id: int | None,
           note_id: int | None = None, detail: str = "") -> None:
    db.session.execute(sa.insert(NoteAudit), [_row(
        actor, action, platform_id=platform_id, learner_id=learner_id, note_id=note_id,
        detail=detail)])


def note_read(actor: Actor, notes: Iterable[LearnerNote], detail: str = "") -> None:
    """The person of the request is shown these notes' text: audit it, and commit now.

    The objects the page is about to show stay loaded (a commit would otherwise expire
    them, and the page would read each one again).
    """
    record_notes(actor, Action.READ, notes, detail)
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


@dataclass(frozen=True)
class AuditFilter:
    action: str = ""
    actor: str = ""  # part of the actor's name
    learner_id: int | None = None
    note_id: int | None = None
    course_id: int | None = None


AUDIT_PAGE = 100


def entries(where: AuditFilter, page: int = 1) -> tuple[list[NoteAudit], bool]:
    """A page of the audit log, newest first, and whether there is an older page."""
    query = sa.select(NoteAudit)
    if where.action:
        query = query.where(NoteAudit.action == where.action)
    if where.actor:
        query = query.where(sa.func.lower(NoteAudit.actor_name).contains(
            where.actor.lower(), autoescape=True))
    for column, value in ((NoteAudit.learner_id, where.learner_id),
                          (NoteAudit.note_id, where.note_id),
                          (NoteAudit.course_id, where.course_id)):
        if value is not None:
            query = query.where(column == value)
    rows = db.session.scalars(
        query.order_by(NoteAudit.id.desc()).limit(AUDIT_PAGE + 1)
        .offset((page - 1) * AUDIT_PAGE)).all()
    return list(rows[:AUDIT_PAGE]), len(rows) > AUDIT_PAGE
