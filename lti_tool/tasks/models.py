"""Tasks: owned, dated work items that features attach to what they are about.

A task belongs to a planning space and, optionally, to one plan. Observation
cycles and learner notes will attach their follow-ups here too (each with its
own nullable reference column), so that "My tasks" is one query over one table.
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
    __tablename__ = "task"
    __table_args__ = (sa.Index("ix_task_owner_status_due", "owner_id", "status", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(
        sa.ForeignKey("space.id", ondelete="CASCADE"), index=True
    )
    plan_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("plan.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id", ondelete="SET NULL"))
    due_on: Mapped[date | None] = mapped_column()
    status: Mapped[str] = mapped_column(sa.String(8), default=TaskStatus.TO_DO)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column()
