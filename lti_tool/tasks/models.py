"""Tasks: owned, dated work items on any feature's object.

A task belongs to a :class:`~lti_tool.courses.registry.Subject`: a plan or a
space, an observation (its next steps), a learner note (its follow-up). "My
tasks" is one query over this one table, filtered by the registry's access rules.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.db import utcnow
from lti_tool.extensions import db


class TaskStatus(StrEnum):
    TO_DO = "todo"
    DOING = "doing"
    DONE = "done"


class Task(db.Model):
    """``version`` counts saves: an edit from an older version is refused, never applied."""

    __tablename__ = "task"
    __table_args__ = (
        sa.Index("ix_task_owner_status_due", "owner_id", "status", "due_on"),
        sa.Index("ix_task_subject", "subject_kind", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_kind: Mapped[str] = mapped_column(sa.String(32))
    subject_id: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(sa.String(200))
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id", ondelete="SET NULL"))
    due_on: Mapped[date | None] = mapped_column()
    status: Mapped[str] = mapped_column(sa.String(8), default=TaskStatus.TO_DO)
    version: Mapped[int] = mapped_column(default=1)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column()
