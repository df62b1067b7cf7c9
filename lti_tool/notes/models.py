"""Notes about learners, their saved versions, and the append-only audit log."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.db import utcnow
from lti_tool.extensions import db


class Category(StrEnum):
    STRENGTH = "strength"
    ACADEMIC = "academic"
    SUPPORT = "support"
    WELLBEING = "wellbeing"
    ATTENDANCE = "attendance"
    FAMILY = "family"
    CELEBRATION = "celebration"


CATEGORY_LABELS = {
    Category.STRENGTH: "Strength / interest",
    Category.ACADEMIC: "Academic",
    Category.SUPPORT: "Support need / accommodation",
    Category.WELLBEING: "Wellbeing",
    Category.ATTENDANCE: "Attendance",
    Category.FAMILY: "Family contact",
    Category.CELEBRATION: "Celebration",
}

# Restricted: lists show only that such a note exists; reading it is a deliberate, logged click.
SENSITIVE = frozenset({Category.WELLBEING, Category.SUPPORT})


class Visibility(StrEnum):
    OUR = "our"  # every staff member who shares an active course with the learner now
    COURSE = "course"  # the active staff of the course the note was written in
    ME = "me"  # its author only


VISIBILITY_LABELS = {
    Visibility.OUR: "Our learners: every teacher who shares a course with this learner",
    Visibility.COURSE: "This course's staff only",
    Visibility.ME: "Only me",
}


class LearnerNote(db.Model):
    """A note a staff member wrote about a learner.

    Who may read it is :func:`lti_tool.notes.policy.note_rule`. ``version`` counts
    saves: an edit made on an older version is refused with the text given back.
    ``deleted_at`` set: deleted (soft); ``flask notes purge`` removes it for good once
    the retention period has passed.
    """

    __tablename__ = "learner_note"
    __table_args__ = (
        sa.Index("ix_learner_note_learner", "learner_id", "created_at"),
        sa.Index("ix_learner_note_course", "course_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(
        sa.ForeignKey("platform.id", ondelete="CASCADE"), index=True
    )
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id", ondelete="CASCADE"))
    learner_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    category: Mapped[str] = mapped_column(sa.String(16))
    body: Mapped[str] = mapped_column(sa.Text)
    visibility: Mapped[str] = mapped_column(sa.String(8), default=Visibility.OUR)
    is_key: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column()

    @property
    def sensitive(self) -> bool:
        return self.category in SENSITIVE


class LearnerNoteVersion(db.Model):
    """One saved state of a note (the first is its creation): who saved what, and when."""

    __tablename__ = "learner_note_version"
    __table_args__ = (sa.UniqueConstraint("note_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(sa.ForeignKey("learner_note.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column()
    category: Mapped[str] = mapped_column(sa.String(16))
    body: Mapped[str] = mapped_column(sa.Text)
    visibility: Mapped[str] = mapped_column(sa.String(8))
    is_key: Mapped[bool] = mapped_column()
    saved_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL")
    )
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)


class Action(StrEnum):
    CREATE = "create"
    READ = "read"
    EDIT = "edit"
    DELETE = "delete"
    EXPORT = "export"
    ERASE = "erase"
    PURGE = "purge"


class NoteAudit(db.Model):
    """One line of the audit log: who did what to which note about which learner, from where.

    Append-only: the database refuses every UPDATE and DELETE of this table (triggers
    on SQLite and PostgreSQL, migration ``0011_notes``). It holds ids and names of
    the staff, never a note's text, and has no foreign key: it outlives the notes,
    people and courses it names (erasure and purge leave it, and add their own line).
    """

    __tablename__ = "note_audit"
    __table_args__ = (
        sa.Index("ix_note_audit_learner", "learner_id", "id"),
        sa.Index("ix_note_audit_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    action: Mapped[str] = mapped_column(sa.String(8))
    actor_kind: Mapped[str] = mapped_column(sa.String(8))  # staff, admin or system
    actor_id: Mapped[int | None] = mapped_column()
    actor_name: Mapped[str] = mapped_column(sa.String(255), default="")
    platform_id: Mapped[int | None] = mapped_column()
    course_id: Mapped[int | None] = mapped_column()
    learner_id: Mapped[int | None] = mapped_column()
    note_id: Mapped[int | None] = mapped_column()
    detail: Mapped[str] = mapped_column(sa.String(255), default="")
