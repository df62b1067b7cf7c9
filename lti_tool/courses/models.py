"""People, courses and who is in which course: the shared domain of every feature."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.db import utcnow
from lti_tool.extensions import db
from lti_tool.lti.roles import ROLE_LABELS, CourseRole, roles_from_names


class Person(db.Model):
    """Someone known to a platform, identified by the platform's ``sub``."""

    __tablename__ = "person"
    __table_args__ = (sa.UniqueConstraint("platform_id", "sub"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # No index of its own: the unique (platform_id, sub) starts with it (migration 0014).
    platform_id: Mapped[int] = mapped_column(sa.ForeignKey("platform.id", ondelete="CASCADE"))
    sub: Mapped[str] = mapped_column(sa.String(255))
    name: Mapped[str | None] = mapped_column(sa.String(255))
    given_name: Mapped[str | None] = mapped_column(sa.String(255))
    family_name: Mapped[str | None] = mapped_column(sa.String(255))
    email: Mapped[str | None] = mapped_column(sa.String(320))
    picture: Mapped[str | None] = mapped_column(sa.String(1024))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def display_name(self) -> str:
        """A name to show; platforms may withhold names, so fall back politely."""
        if self.name:
            return self.name
        joined = " ".join(p for p in (self.given_name, self.family_name) if p)
        return joined or self.email or f"User {self.sub[:8]}"


class Course(db.Model):
    """An LMS context (course or section), identified by the platform's context id."""

    __tablename__ = "course"
    __table_args__ = (sa.UniqueConstraint("platform_id", "context_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(
        sa.ForeignKey("platform.id", ondelete="CASCADE"), index=True
    )
    deployment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("deployment.id", ondelete="SET NULL"), index=True
    )
    context_id: Mapped[str] = mapped_column(sa.String(255))
    label: Mapped[str | None] = mapped_column(sa.String(255))
    title: Mapped[str | None] = mapped_column(sa.String(512))
    # Names and Role Provisioning Service endpoint for this course, when the platform offers it.
    nrps_url: Mapped[str | None] = mapped_column(sa.String(1024))
    # The roster sync (courses/roster.py): the last good sync, the last attempt (good or
    # not), how many members the last good sync found, the last attempt's error (cleared by
    # a success), and the platform's rel="differences" link to ask next time.
    roster_synced_at: Mapped[datetime | None] = mapped_column()
    roster_attempted_at: Mapped[datetime | None] = mapped_column()
    roster_member_count: Mapped[int | None] = mapped_column()
    roster_error: Mapped[str | None] = mapped_column(sa.String(1000))
    roster_differences_url: Mapped[str | None] = mapped_column(sa.String(1024))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="course", cascade="all, delete-orphan"
    )

    @property
    def display_title(self) -> str:
        return self.title or self.label or f"Course {self.context_id}"


class Membership(db.Model):
    """A person's roles in a course, as last told by a launch or a roster (NRPS) refresh."""

    __tablename__ = "membership"
    __table_args__ = (sa.UniqueConstraint("course_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    # Course roles as CourseRole values, space separated (see lti_tool.lti.roles).
    roles: Mapped[str] = mapped_column(sa.String(255), default="")
    is_staff: Mapped[bool] = mapped_column(default=False)
    is_learner: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    source: Mapped[str] = mapped_column(sa.String(16), default="launch")
    last_launch_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    course: Mapped[Course] = relationship(back_populates="memberships")
    person: Mapped[Person] = relationship()

    @classmethod
    def is_active_staff(cls) -> sa.ColumnElement[bool]:
        """The one SQL rule for "teaches in this course now": active and staff."""
        return sa.and_(cls.active.is_(True), cls.is_staff.is_(True))

    @property
    def role_set(self) -> frozenset[CourseRole]:
        return roles_from_names(self.roles)

    @property
    def role_labels(self) -> str:
        """Human words for the roles, most senior first: "teacher, teaching assistant"."""
        order = list(CourseRole)
        return ", ".join(ROLE_LABELS[r] for r in sorted(self.role_set, key=order.index))


class PlacedLink(db.Model):
    """A link a teacher placed in the LMS by deep linking, as the LMS names it.

    The target (``plan:12``, ``planning.course-space``…) travels in the link's custom
    parameters and address; the first launch that carries it stores it here under the
    platform's ``resource_link_id``, so that a placement that sends neither still
    opens the same target (see :mod:`lti_tool.courses.targets`).
    """

    __tablename__ = "placed_link"
    __table_args__ = (sa.UniqueConstraint("platform_id", "resource_link_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(
        sa.ForeignKey("platform.id", ondelete="CASCADE")
    )
    resource_link_id: Mapped[str] = mapped_column(sa.String(255))
    # The course the link was first launched from.
    course_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("course.id", ondelete="CASCADE"), index=True
    )
    target: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CourseCopy(db.Model):
    """A course copied from another (a new term) that continues the other's spaces.

    Made when the LMS says so in a launch (``$Context.id.history``) and a teacher of
    both courses launches, or when such a teacher links the new course by hand. The
    staff of the copy then share what features keep per course (planning's course
    space). ``source_course_id`` is always the first course of the line: a copy of a
    copy continues the original.
    """

    __tablename__ = "course_copy"

    course_id: Mapped[int] = mapped_column(
        sa.ForeignKey("course.id", ondelete="CASCADE"), primary_key=True
    )
    source_course_id: Mapped[int] = mapped_column(
        sa.ForeignKey("course.id", ondelete="CASCADE"), index=True
    )
    linked_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL")
    )
    # "history": from the LMS's course copy history; "teacher": linked on the page.
    how: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
