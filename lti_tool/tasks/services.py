"""Task rules and queries: who may own a task, creating and updating, and "My tasks".

Which spaces a person can reach is stated once here as a SQL subquery,
:func:`accessible_space_ids`, mirroring :func:`lti_tool.planning.policy.space_access`
(course space: active staff membership of its course; team space: an active
``SpaceMember`` row; same platform). Lists that span spaces ("My tasks",
"what's new", search) filter with it inside their one query, so a teacher who
lost access to a course stops seeing its tasks at once, without a loop over spaces.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa

from lti_tool.courses.models import Membership, Person
from lti_tool.db import utcnow
from lti_tool.extensions import db
from lti_tool.planning.models import MemberStatus, Plan, Space, SpaceKind, SpaceMember
from lti_tool.planning.services import members_of
from lti_tool.tasks.models import Task, TaskStatus

TITLE_MAX = 200
DONE_SHOWN = 20  # "My tasks" shows the latest completed ones, not a whole history.

STATUS_LABELS = {
    TaskStatus.TO_DO: "To do",
    TaskStatus.DOING: "Doing",
    TaskStatus.DONE: "Done",
}


def accessible_space_ids(person: Person) -> sa.Select:
    """A ``SELECT space.id`` of every space the person may see (use with ``in_``)."""
    return _accessible_space_ids(person.id, person.platform_id)


def _accessible_space_ids(person_id: Any, platform_id: Any) -> sa.Select:
    """The rule of :func:`accessible_space_ids`, for values or bound parameters."""
    staff_courses = sa.select(Membership.course_id).where(
        Membership.person_id == person_id,
        Membership.is_active_staff(),
    )
    team_spaces = sa.select(SpaceMember.space_id).where(
        SpaceMember.person_id == person_id, SpaceMember.status == MemberStatus.ACTIVE
    )
    return sa.select(Space.id).where(
        Space.platform_id == platform_id,
        sa.or_(
            sa.and_(Space.kind == SpaceKind.COURSE, Space.course_id.in_(staff_courses)),
            sa.and_(Space.kind == SpaceKind.TEAM, Space.id.in_(team_spaces)),
        ),
    )


@functools.cache
def accessible_space_ids_param() -> sa.Select:
    """:func:`accessible_space_ids` with the person as the bound parameters
    ``person_id`` and ``platform_id``, built once.

    Hot queries (the dashboard) embed this in statements they also build once:
    a statement object that is reused keeps its SQLAlchemy cache key and finds
    its compiled form at once, instead of being rebuilt on every request.
    """
    return _accessible_space_ids(sa.bindparam("person_id"), sa.bindparam("platform_id"))


@dataclass(frozen=True)
class SpaceMemberInfo:
    """A person who may own tasks and be mentioned in a space, with their strengths."""

    person: Person
    strengths: str

    @property
    def id(self) -> int:
        return self.person.id

    @property
    def name(self) -> str:
        return self.person.display_name


def space_members(space: Space) -> list[SpaceMemberInfo]:
    """The members of a space with their strengths, sorted by name (one query).

    Membership is the planning package's rule (:func:`lti_tool.planning.services.members_of`).
    """
    members = [SpaceMemberInfo(row.person, row.strengths) for row in members_of(space)]
    return sorted(members, key=lambda m: (m.name.casefold(), m.id))


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


def validate_task(data: TaskInput, members: list[SpaceMemberInfo]) -> TaskErrors:
    """Check a task against the space: a title, a known status, an owner who is a member."""
    errors = TaskErrors()
    title = data.title.strip()
    if not title:
        errors.fields["title"] = "Give the task a title"
    elif len(title) > TITLE_MAX:
        errors.fields["title"] = f"Keep the title to {TITLE_MAX} characters (it has {len(title)})"
    if data.status not in set(TaskStatus):
        errors.fields["status"] = "Choose to do, doing or done"
    if data.owner_id is not None and data.owner_id not in {m.id for m in members}:
        errors.fields["owner_id"] = "Unknown member: choose someone from this space"
    return errors


def _apply(task: Task, data: TaskInput) -> None:
    was_done = task.status == TaskStatus.DONE
    task.title = data.title.strip()
    task.owner_id = data.owner_id
    task.due_on = data.due_on
    task.status = data.status
    if data.status == TaskStatus.DONE and not was_done:
        task.completed_at = utcnow()
    elif data.status != TaskStatus.DONE:
        task.completed_at = None


def create_task(space: Space, plan: Plan | None, data: TaskInput, author: Person) -> Task:
    """Store a validated task (call :func:`validate_task` first) and commit."""
    task = Task(
        space_id=space.id, plan_id=plan.id if plan else None, created_by_id=author.id,
        status=TaskStatus.TO_DO,
    )
    _apply(task, data)
    db.session.add(task)
    db.session.commit()
    return task


def update_task(task: Task, data: TaskInput) -> Task:
    """Change a validated task; marking it done stamps ``completed_at``, reopening clears it."""
    _apply(task, data)
    db.session.commit()
    return task


def get_task(space: Space, task_id: int) -> Task | None:
    """The task if it belongs to this space (a task id from another space is not found)."""
    return db.session.scalars(
        sa.select(Task).where(Task.id == task_id, Task.space_id == space.id)
    ).first()


def get_plan(space: Space, plan_id: int) -> Plan | None:
    """The plan if it belongs to this space."""
    return db.session.scalars(
        sa.select(Plan).where(Plan.id == plan_id, Plan.space_id == space.id)
    ).first()


@dataclass(frozen=True)
class TaskRow:
    """A task with what a list shows around it: its plan and space, and who owns it."""

    task: Task
    plan_title: str | None
    space_name: str
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


def _rows_query() -> sa.Select:
    owner = sa.orm.aliased(Person)
    return (
        sa.select(Task, Plan.title, Space.name, owner)
        .join(Space, Space.id == Task.space_id)
        .outerjoin(Plan, Plan.id == Task.plan_id)
        .outerjoin(owner, owner.id == Task.owner_id)
    )


def _to_rows(result) -> list[TaskRow]:  # type: ignore[no-untyped-def]
    return [
        TaskRow(task, plan_title, space_name, owner.display_name if owner else None)
        for task, plan_title, space_name, owner in result
    ]


_OPEN_ORDER = (Task.due_on.is_(None), Task.due_on, Task.id)


@dataclass(frozen=True)
class MyTasks:
    open: list[TaskRow]
    done: list[TaskRow]


def my_tasks(person: Person) -> MyTasks:
    """A teacher's tasks across every space they can reach: two queries, whatever the count.

    Open tasks come overdue first, then by due date, then undated (ordering by
    "no date" then date puts past dates, the overdue ones, first). The latest
    :data:`DONE_SHOWN` completed tasks come separately.

    Other features join in by creating ``Task`` rows, not new lists: an
    observation follow-up or a note's action is a ``Task`` in the space it
    belongs to with its own nullable reference column (``observation_id``,
    ``note_id``, added by that feature's migration). :func:`_rows_query` then
    outer-joins that table for the label, and the "My tasks" template links
    to it when the reference is set, exactly as it links ``plan_id`` today, so
    this stays one query over one table, ordered and filtered by access in SQL.
    """
    accessible = Task.space_id.in_(accessible_space_ids(person))
    open_rows = db.session.execute(
        _rows_query()
        .where(Task.owner_id == person.id, Task.status != TaskStatus.DONE, accessible)
        .order_by(*_OPEN_ORDER)
    ).all()
    done_rows = db.session.execute(
        _rows_query()
        .where(Task.owner_id == person.id, Task.status == TaskStatus.DONE, accessible)
        .order_by(Task.completed_at.desc(), Task.id.desc())
        .limit(DONE_SHOWN)
    ).all()
    return MyTasks(_to_rows(open_rows), _to_rows(done_rows))


def plan_tasks(plan: Plan) -> list[TaskRow]:
    """The tasks of one plan, open ones first by due date, then the done ones; one query."""
    rows = db.session.execute(
        _rows_query()
        .where(Task.plan_id == plan.id)
        .order_by(Task.status == TaskStatus.DONE, *_OPEN_ORDER)
    ).all()
    return _to_rows(rows)


def open_space_tasks(space: Space, limit: int = 50) -> list[TaskRow]:
    """The space's tasks that are not done (on plans or on the space itself); one query."""
    rows = db.session.execute(
        _rows_query()
        .where(Task.space_id == space.id, Task.status != TaskStatus.DONE)
        .order_by(*_OPEN_ORDER)
        .limit(limit)
    ).all()
    return _to_rows(rows)


def open_tasks_for(person: Person, limit: int) -> list[TaskRow]:
    """The first ``limit`` open tasks of "My tasks" (for the dashboard); one query."""
    rows = db.session.execute(
        open_tasks_statement(),
        {"person_id": person.id, "platform_id": person.platform_id, "limit": limit},
    ).all()
    return _to_rows(rows)


@functools.cache
def open_tasks_statement() -> sa.Select:
    """The query of :func:`open_tasks_for`, built once (see :func:`accessible_space_ids_param`)."""
    return (
        _rows_query()
        .where(
            Task.owner_id == sa.bindparam("person_id"),
            Task.status != TaskStatus.DONE,
            Task.space_id.in_(accessible_space_ids_param()),
        )
        .order_by(*_OPEN_ORDER)
        .limit(sa.bindparam("limit", type_=sa.Integer))
    )
