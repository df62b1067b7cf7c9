"""Task rules and queries: who may own a task, creating and changing one, and "My tasks".

A task hangs off a :class:`~lti_tool.courses.registry.Subject`. Who may see,
change and own it is that subject's kind's rule, from the registry: every list
filters with :func:`lti_tool.courses.registry.visible` inside its one query, so
a teacher who lost access to a course stops seeing its tasks at once, and the
names of the subjects come from one query per kind (:func:`registry.describe`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa

from lti_tool.courses import registry
from lti_tool.courses.models import Person
from lti_tool.courses.registry import AudienceMember, Subject, SubjectInfo
from lti_tool.db import utcnow
from lti_tool.extensions import db
from lti_tool.tasks.models import Task, TaskStatus

TITLE_MAX = 200
DONE_SHOWN = 20  # "My tasks" shows the latest completed ones, not a whole history.

STATUS_LABELS = {
    TaskStatus.TO_DO: "To do",
    TaskStatus.DOING: "Doing",
    TaskStatus.DONE: "Done",
}


@dataclass
class TaskInput:
    """What the task form sent, already typed; validated by :func:`validate_task`."""

    title: str
    owner_id: int | None
    due_on: date | None
    status: str


@dataclass
class TaskErrors:
    """Messages per field (``title``, ``owner_id``, ``status``), shown next to the field."""

    fields: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.fields)


def validate_task(data: TaskInput, members: list[AudienceMember]) -> TaskErrors:
    """A title, a known status, and an owner who may see what the task is about."""
    errors = TaskErrors()
    title = data.title.strip()
    if not title:
        errors.fields["title"] = "Give the task a title"
    elif len(title) > TITLE_MAX:
        errors.fields["title"] = f"Keep the title to {TITLE_MAX} characters (it has {len(title)})"
    if data.status not in set(TaskStatus):
        errors.fields["status"] = "Choose to do, doing or done"
    if data.owner_id is not None and data.owner_id not in {m.id for m in members}:
        errors.fields["owner_id"] = "Unknown colleague: choose someone from the list"
    return errors


def _values(data: TaskInput, was_done: bool) -> dict[str, Any]:
    values: dict[str, Any] = {
        "title": data.title.strip(), "owner_id": data.owner_id, "due_on": data.due_on,
        "status": data.status,
    }
    if data.status == TaskStatus.DONE and not was_done:
        values["completed_at"] = utcnow()
    elif data.status != TaskStatus.DONE:
        values["completed_at"] = None
    return values


def create_task(subject: Subject, data: TaskInput, author: Person) -> Task:
    """Store a validated task (call :func:`validate_task` first) and commit."""
    task = Task(
        subject_kind=subject.kind, subject_id=subject.id, created_by_id=author.id,
        **_values(data, was_done=False),
    )
    db.session.add(task)
    db.session.commit()
    return task


class StaleTaskError(Exception):
    """The task changed since the form was opened; nothing was written."""


def update_task(task: Task, data: TaskInput, base_version: int) -> Task:
    """Save a validated edit made on ``base_version`` of the task, or refuse it.

    The check and the write are one statement (``UPDATE … WHERE version = ?``):
    of two edits from the same version exactly one is saved; the other raises
    :class:`StaleTaskError` and changes nothing, so a colleague's change is never
    overwritten unseen.
    """
    values = _values(data, was_done=task.status == TaskStatus.DONE)
    result = db.session.execute(
        sa.update(Task)
        .where(Task.id == task.id, Task.version == base_version)
        .values(version=Task.version + 1, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        raise StaleTaskError
    db.session.commit()
    db.session.refresh(task)
    return task


def set_status(task: Task, status: TaskStatus) -> Task:
    """The one-click buttons: change the status only, whatever else changed meanwhile."""
    values: dict[str, Any] = {"status": status}
    if status == TaskStatus.DONE:
        values["completed_at"] = sa.func.coalesce(Task.completed_at, utcnow())
    else:
        values["completed_at"] = None
    db.session.execute(
        sa.update(Task)
        .where(Task.id == task.id)
        .values(version=Task.version + 1, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    db.session.refresh(task)
    return task


def get_task(task_id: int, person: Person) -> Task | None:
    """The task if the person may see what it is about (otherwise it is not found)."""
    return db.session.scalars(
        sa.select(Task).where(
            Task.id == task_id,
            registry.visible(Task.subject_kind, Task.subject_id, person.id, person.platform_id),
        )
    ).first()


def subject_of(task: Task) -> Subject:
    return Subject(task.subject_kind, task.subject_id)


@dataclass(frozen=True)
class TaskRow:
    """A task with what a list shows around it: what it is about, and who owns it."""

    task: Task
    subject: SubjectInfo | None
    owner_name: str | None

    @property
    def overdue(self) -> bool:
        return (
            self.task.status != TaskStatus.DONE
            and self.task.due_on is not None
            and self.task.due_on < date.today()
        )

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(TaskStatus(self.task.status), self.task.status)


_OPEN_ORDER = (Task.due_on.is_(None), Task.due_on, Task.id)


def _rows_statement() -> sa.Select:
    owner = sa.orm.aliased(Person)
    return sa.select(Task, owner).outerjoin(owner, owner.id == Task.owner_id)


def to_rows(result: Iterable[Any]) -> list[TaskRow]:
    """(task, owner) rows as :class:`TaskRow`, their subjects named (one query per kind)."""
    rows = list(result)
    subjects = registry.describe(subject_of(task) for task, _ in rows)
    return [
        TaskRow(task, subjects.get(subject_of(task)), owner.display_name if owner else None)
        for task, owner in rows
    ]


@dataclass(frozen=True)
class MyTasks:
    open: list[TaskRow]
    done: list[TaskRow]
    page: int = 1
    open_total: int = 0  # open tasks on every page

    @property
    def first(self) -> int:
        return (self.page - 1) * OPEN_SHOWN + 1

    @property
    def last(self) -> int:
        return self.first + len(self.open) - 1

    @property
    def earlier(self) -> int | None:
        return self.page - 1 if self.page > 1 else None

    @property
    def later(self) -> int | None:
        return self.page + 1 if self.page * OPEN_SHOWN < self.open_total else None


OPEN_SHOWN = 50  # open tasks a page of "My tasks"


def my_tasks(person: Person, page: int = 1) -> MyTasks:
    """A teacher's tasks on everything they may see: two queries, then the subjects' names.

    Open tasks come overdue first, then by due date, then undated (ordering by
    "no date" then date puts past dates, the overdue ones, first), a page of
    :data:`OPEN_SHOWN` at a time (the same query counts them all). The latest
    :data:`DONE_SHOWN` completed tasks come separately.
    """
    accessible = registry.visible(Task.subject_kind, Task.subject_id, person.id, person.platform_id)
    open_rows = db.session.execute(
        _rows_statement()
        .add_columns(sa.func.count().over().label("total"))
        .where(Task.owner_id == person.id, Task.status != TaskStatus.DONE, accessible)
        .order_by(*_OPEN_ORDER)
        .limit(OPEN_SHOWN)
        .offset((page - 1) * OPEN_SHOWN)
    ).all()
    done_rows = db.session.execute(
        _rows_statement()
        .where(Task.owner_id == person.id, Task.status == TaskStatus.DONE, accessible)
        .order_by(Task.completed_at.desc(), Task.id.desc())
        .limit(DONE_SHOWN)
    ).all()
    total = open_rows[0].total if open_rows else 0
    return MyTasks(to_rows((task, owner) for task, owner, _ in open_rows), to_rows(done_rows),
                   page, total)


SUBJECT_SHOWN = 20  # tasks an object's page shows at first
SUBJECT_MAX = 200  # and at the most


def subject_tasks(subject: Subject, limit: int = SUBJECT_MAX,
                  describe: bool = True) -> list[TaskRow]:
    """The tasks of one object, open ones first by due date, then the done ones (without
    ``describe``, the object is not named again: its own page shows them)."""
    rows = db.session.execute(
        _rows_statement()
        .where(Task.subject_kind == subject.kind, Task.subject_id == subject.id)
        .order_by(Task.status == TaskStatus.DONE, *_OPEN_ORDER)
        .limit(limit)
    ).all()
    if not describe:
        return [TaskRow(task, None, owner.display_name if owner else None) for task, owner in rows]
    return to_rows(rows)


def open_tasks(where: sa.ColumnElement[bool], limit: int = 50, offset: int = 0) -> list[TaskRow]:
    """Open tasks matching a feature's condition (the tasks of a space and its plans, say),
    soonest first: ``limit`` of them from ``offset``."""
    rows = db.session.execute(
        _rows_statement()
        .where(where, Task.status != TaskStatus.DONE)
        .order_by(*_OPEN_ORDER)
        .limit(limit)
        .offset(offset)
    ).all()
    return to_rows(rows)


def open_tasks_statement(person_id: Any, platform_id: Any, course_id: Any = None) -> sa.Select:
    """The person's open tasks, soonest first (the "What's new" section)."""
    return (
        _rows_statement()
        .where(
            Task.owner_id == person_id,
            Task.status != TaskStatus.DONE,
            registry.visible(Task.subject_kind, Task.subject_id, person_id, platform_id),
        )
        .order_by(*_OPEN_ORDER)
    )
