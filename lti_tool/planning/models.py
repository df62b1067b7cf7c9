"""Planning spaces, their members, plans (units, lessons, meetings, cycles) and revisions."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.db import utcnow
from lti_tool.extensions import db


class SpaceKind(StrEnum):
    COURSE = "course"  # one per course, members = the course's staff from the roster
    TEAM = "team"  # a grade-level team, department or PLC, members by invitation


class MemberStatus(StrEnum):
    INVITED = "invited"
    ACTIVE = "active"
    DECLINED = "declined"
    LEFT = "left"


class PlanKind(StrEnum):
    UNIT = "unit"
    LESSON = "lesson"
    MEETING = "meeting"  # PLC meeting: agenda, minutes, decisions, action items
    PLC_CYCLE = "plc_cycle"  # the four questions of a professional learning community
    INQUIRY = "inquiry"  # scan -> focus -> hunch -> learn -> act -> check impact
    NOTE = "note"


class Space(db.Model):
    """Where a team plans. A course space belongs to one course; a team space to its members."""

    __tablename__ = "space"

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(
        sa.ForeignKey("platform.id", ondelete="CASCADE"), index=True
    )
    # Set for the course's own space (at most one per course), None for team spaces.
    course_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("course.id", ondelete="CASCADE"), unique=True
    )
    kind: Mapped[str] = mapped_column(sa.String(16), default=SpaceKind.COURSE)
    name: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    members: Mapped[list[SpaceMember]] = relationship(
        back_populates="space", cascade="all, delete-orphan"
    )


class SpaceMember(db.Model):
    """A person's place in a space: invitation state, profile (strengths) and last visit.

    In a course space access comes from the course roster (active staff
    membership); this row then only holds the profile and the last visit. In a
    team space, ``status == active`` is what grants access.
    """

    __tablename__ = "space_member"
    __table_args__ = (sa.UniqueConstraint("space_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(sa.ForeignKey("space.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(sa.String(16), default=MemberStatus.ACTIVE)
    is_owner: Mapped[bool] = mapped_column(default=False)
    # What this colleague is good at, shown when tasks are assigned ("delegate by strengths").
    strengths: Mapped[str] = mapped_column(sa.String(500), default="")
    invited_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    responded_at: Mapped[datetime | None] = mapped_column()
    last_visit_at: Mapped[datetime | None] = mapped_column()

    space: Mapped[Space] = relationship(back_populates="members")


class Plan(db.Model):
    """An item of a space: a unit, a lesson (optionally inside a unit), a meeting, a cycle.

    ``version`` is the optimistic-concurrency counter: a save names the version
    it was edited from, and a save from a stale version is refused rather than
    allowed to overwrite a colleague's work.
    """

    __tablename__ = "plan"
    # "Changed since your last visit": a space's plans saved after a moment, newest first.
    __table_args__ = (sa.Index("ix_plan_space_updated", "space_id", "updated_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(
        sa.ForeignKey("space.id", ondelete="CASCADE"), index=True
    )
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("plan.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(16), default=PlanKind.UNIT)
    title: Mapped[str] = mapped_column(sa.String(200))
    starts_on: Mapped[date | None] = mapped_column()
    ends_on: Mapped[date | None] = mapped_column()
    course_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("course.id", ondelete="SET NULL")
    )
    objectives: Mapped[str] = mapped_column(sa.Text, default="")
    # Standards and tags, comma separated as typed ("NGSS MS-PS1-2, lab safety").
    tags: Mapped[str] = mapped_column(sa.String(500), default="")
    body: Mapped[str] = mapped_column(sa.Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=1)
    archived: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL")
    )
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    children: Mapped[list[Plan]] = relationship(
        order_by="Plan.position, Plan.starts_on, Plan.id", cascade="all, delete-orphan"
    )


class PlanRevision(db.Model):
    """Every save of a plan, whole, so that history shows who changed what and can restore it."""

    __tablename__ = "plan_revision"
    __table_args__ = (sa.UniqueConstraint("plan_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plan.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(sa.String(200))
    starts_on: Mapped[date | None] = mapped_column()
    ends_on: Mapped[date | None] = mapped_column()
    objectives: Mapped[str] = mapped_column(sa.Text, default="")
    tags: Mapped[str] = mapped_column(sa.String(500), default="")
    body: Mapped[str] = mapped_column(sa.Text, default="")
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL")
    )
    # The version this one restored, when it was made by "restore".
    restored_from: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SpaceTemplate(db.Model):
    """A template a space saved for itself (the built-in ones ship in code)."""

    __tablename__ = "space_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(
        sa.ForeignKey("space.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(16))
    name: Mapped[str] = mapped_column(sa.String(200))
    objectives: Mapped[str] = mapped_column(sa.Text, default="")
    body: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Draft(db.Model):
    """Unsaved edits kept by autosave, so a dropped connection or expired session loses nothing.

    One draft per person and plan (``plan_id`` None: a new plan being written in a space).
    """

    __tablename__ = "draft"
    __table_args__ = (sa.UniqueConstraint("person_id", "space_id", "plan_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    space_id: Mapped[int] = mapped_column(sa.ForeignKey("space.id", ondelete="CASCADE"))
    # "plan-<id>" for an existing plan, "new-<kind>" for a plan not yet created.
    plan_key: Mapped[str] = mapped_column(sa.String(40))
    base_version: Mapped[int | None] = mapped_column()
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
