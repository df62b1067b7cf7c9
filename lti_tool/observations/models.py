"""Observation templates (with immutable versions), observations, running notes and ratings."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.db import utcnow
from lti_tool.extensions import db


class State(StrEnum):
    """Where an observation is in its cycle (the transitions are in :mod:`.policy`)."""

    REQUESTED = "requested"  # one side asked; the other has not answered yet
    SCHEDULED = "scheduled"  # agreed: the observee chooses the focus before the lesson
    IN_PROGRESS = "in_progress"  # the observer is in the lesson, filling the form
    SHARED = "shared"  # the observer shared the feedback with the observee
    REFLECTED = "reflected"  # the observee wrote a reflection and next steps
    CLOSED = "closed"  # the cycle is over
    DECLINED = "declined"
    CANCELLED = "cancelled"


FINISHED_STATES = (State.SHARED, State.REFLECTED, State.CLOSED)
# An observation "took place" once the observer started it (coverage counts those).
TOOK_PLACE_STATES = (State.IN_PROGRESS, *FINISHED_STATES)


class NoteTag(StrEnum):
    STRENGTH = "strength"
    SUGGESTION = "suggestion"
    QUESTION = "question"
    NOTE = "note"


class ObservationTemplate(db.Model):
    """A form teachers observe with: its name and where it may be used.

    * ``builtin_key`` set: one of the starter templates shipped with Staffroom.
    * ``owner_kind``/``owner_id`` set: a copy a teacher adapted for a planning space
      (a generic reference, ``space:<id>``: whoever may see the space may use it).
    * neither: an institution template, managed on the admin page, for every course
      of ``platform_id`` (or of every platform when it is None).

    Its contents live in :class:`ObservationTemplateVersion` rows, which never change;
    ``version`` is the number of the latest one and the optimistic-concurrency counter
    of edits (``UPDATE … WHERE version = ?``).
    """

    __tablename__ = "observation_template"
    __table_args__ = (sa.Index("ix_observation_template_owner", "owner_kind", "owner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    builtin_key: Mapped[str | None] = mapped_column(sa.String(40), unique=True)
    platform_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("platform.id", ondelete="CASCADE"), index=True
    )
    owner_kind: Mapped[str | None] = mapped_column(sa.String(32))
    owner_id: Mapped[int | None] = mapped_column()
    name: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    version: Mapped[int] = mapped_column(default=1)
    archived: Mapped[bool] = mapped_column(default=False)
    copied_from_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("observation_template.id", ondelete="SET NULL")
    )
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ObservationTemplateVersion(db.Model):
    """One version of a template, as it was saved: never updated, never deleted alone.

    ``structure`` is ``{"sections": [{"title", "criteria": [{"key", "text", "rated",
    "evidence"}]}], "prompts": [{"key", "label"}]}`` (see :mod:`.forms_text`).
    """

    __tablename__ = "observation_template_version"
    __table_args__ = (sa.UniqueConstraint("template_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(
        sa.ForeignKey("observation_template.id", ondelete="CASCADE")
    )
    number: Mapped[int] = mapped_column()
    name: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    structure: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Observation(db.Model):
    """One lesson observed: a pair of colleagues, a pinned form, notes, ratings, reflection.

    Who may see it is :func:`lti_tool.observations.policy.observation_rule` (the
    observer, the observee, and the one colleague the observee shared it with).
    ``version`` counts saves of the observation and of its notes and ratings: a save
    from an older version is refused (two windows, or the pair at once).
    """

    __tablename__ = "observation"
    __table_args__ = (
        sa.Index("ix_observation_course_state", "course_id", "state"),
        sa.Index("ix_observation_lesson", "lesson_kind", "lesson_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(
        sa.ForeignKey("platform.id", ondelete="CASCADE"), index=True
    )
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id", ondelete="CASCADE"))
    observer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    observee_id: Mapped[int] = mapped_column(
        sa.ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    requested_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL")
    )
    # The one colleague (a coach, say) the observee chose to show this observation to.
    shared_with_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    template_version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("observation_template_version.id", ondelete="CASCADE")
    )
    state: Mapped[str] = mapped_column(sa.String(16), default=State.REQUESTED)
    # The lesson observed: a title as the pair call it, and optionally a co-planned
    # lesson or unit (a generic reference, "plan:<id>").
    lesson_title: Mapped[str] = mapped_column(sa.String(200), default="")
    lesson_kind: Mapped[str | None] = mapped_column(sa.String(32))
    lesson_id: Mapped[int | None] = mapped_column()
    scheduled_on: Mapped[date | None] = mapped_column()
    request_message: Mapped[str] = mapped_column(sa.Text, default="")
    # Chosen by the observee before the lesson: the look-fors to watch (criterion keys)
    # and the plan's objectives taken as extra look-fors (texts, as the plan said them).
    focus: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    plan_focus: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    focus_note: Mapped[str] = mapped_column(sa.Text, default="")
    # The open prompts' answers ("what went well", "even better if"), by prompt key.
    answers: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    reflection: Mapped[str] = mapped_column(sa.Text, default="")
    next_steps: Mapped[str] = mapped_column(sa.Text, default="")
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    shared_at: Mapped[datetime | None] = mapped_column()
    reflected_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()

    template_version: Mapped[ObservationTemplateVersion] = relationship()
    notes: Mapped[list[ObservationNote]] = relationship(
        order_by="ObservationNote.noted_at, ObservationNote.id", cascade="all, delete-orphan",
        passive_deletes=True,
    )
    ratings: Mapped[list[ObservationRating]] = relationship(
        order_by="ObservationRating.position, ObservationRating.id",
        cascade="all, delete-orphan", passive_deletes=True,
    )


class ObservationNote(db.Model):
    """A running note typed during the lesson, stamped with the moment it was written.

    ``client_key`` is the browser's id for the note, so that an autosave sent twice
    (a retry after a dropped connection) updates the note instead of adding it again.
    """

    __tablename__ = "observation_note"
    __table_args__ = (sa.UniqueConstraint("observation_id", "client_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    observation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("observation.id", ondelete="CASCADE")
    )
    client_key: Mapped[str] = mapped_column(sa.String(40))
    tag: Mapped[str] = mapped_column(sa.String(16), default=NoteTag.NOTE)
    body: Mapped[str] = mapped_column(sa.Text, default="")
    noted_at: Mapped[datetime] = mapped_column(default=utcnow)


class ObservationRating(db.Model):
    """The observer's rating and evidence for one look-for of the observation.

    The look-for's text is kept as the form said it (a template edited later, or a
    plan rewritten, changes nothing here); ``rating`` is 1–4 on the scale, 0 for
    "not observed", None for not rated (yet).
    """

    __tablename__ = "observation_rating"
    __table_args__ = (sa.UniqueConstraint("observation_id", "criterion_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    observation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("observation.id", ondelete="CASCADE")
    )
    criterion_key: Mapped[str] = mapped_column(sa.String(40))
    section: Mapped[str] = mapped_column(sa.String(200), default="")
    criterion: Mapped[str] = mapped_column(sa.String(500))
    rated: Mapped[bool] = mapped_column(default=True)
    has_evidence: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)
    rating: Mapped[int | None] = mapped_column()
    evidence: Mapped[str] = mapped_column(sa.Text, default="")
