"""Planning rules and queries: spaces, members, plans, revisions, templates and drafts.

Views decide *who* may act (``lti_tool.planning.policy``); this module decides
*what happens*, in one transaction per action, so that the rules (a save from
a stale version never wins, history is never deleted, the search index follows
every save) hold whatever page or script calls them.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from lti_tool import markdown, windows
from lti_tool.courses.models import Course, CourseCopy, Membership, Person
from lti_tool.courses.registry import Subject
from lti_tool.db import utcnow
from lti_tool.extensions import db
from lti_tool.planning.models import (
    Draft,
    MemberStatus,
    Plan,
    PlanKind,
    PlanRevision,
    Space,
    SpaceKind,
    SpaceMember,
    SpaceTemplate,
)
from lti_tool.search import services as search

PLAN_KIND = "plan"  # the registry kind of plans (lti_tool.planning.kinds)
SPACE_KIND = "space"

# A plan body holds a unit's worth of prose and tables; more is almost certainly a paste error.
BODY_MAX_CHARS = 100_000
OBJECTIVES_MAX_CHARS = 20_000
DRAFT_FIELDS = (
    "title", "kind", "starts_on", "ends_on", "course_id", "parent_id", "objectives", "tags", "body",
)
# A draft belongs to an existing plan ("plan-<id>") or to the new plan of one kind
# ("new-unit"): at most one draft per plan and per kind for each teacher in a space.
DRAFT_KEY = re.compile(
    r"^(plan-[1-9][0-9]{0,8}|new-(" + "|".join(re.escape(k.value) for k in PlanKind) + r"))$"
)


# --- spaces ---------------------------------------------------------------------------------

SPACE_NAME_MAX = 200  # the column's length; a course title may be longer (512)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"



def course_space_course(course_id: int) -> Any:
    """The course whose space is this course's: the course it continues (a copy made for a
    new term and linked, :class:`~lti_tool.courses.models.CourseCopy`), else itself."""
    continued = sa.select(CourseCopy.source_course_id).where(
        CourseCopy.course_id == course_id
    ).scalar_subquery()
    return sa.func.coalesce(continued, course_id)


def ensure_course_space(course: Course, person: Person | None = None) -> Space:
    """The course's planning space, created on the first staff visit.

    A course linked as the copy of another shares the other's space (one query either way).
    """
    space = db.session.scalars(
        db.select(Space).where(Space.course_id == course_space_course(course.id))
    ).first()
    if space is not None:
        return space
    source_id = db.session.scalar(
        sa.select(CourseCopy.source_course_id).where(CourseCopy.course_id == course.id)
    )
    owner = db.session.get(Course, source_id) if source_id is not None else course
    owner = owner or course
    space = Space(
        platform_id=owner.platform_id,
        course_id=owner.id,
        kind=SpaceKind.COURSE,
        name=_shorten(owner.display_title, SPACE_NAME_MAX),
        created_by_id=person.id if person else None,
    )
    db.session.add(space)
    try:
        db.session.commit()
    except IntegrityError:  # another teacher's first visit created it at the same moment
        db.session.rollback()
        return db.session.scalars(db.select(Space).filter_by(course_id=owner.id)).one()
    return space


def team_spaces_for(person: Person) -> list[tuple[Space, SpaceMember]]:
    """Team spaces where the person is an active member or has an open invitation."""
    rows = db.session.execute(
        db.select(Space, SpaceMember)
        .join(SpaceMember, SpaceMember.space_id == Space.id)
        .where(
            SpaceMember.person_id == person.id,
            Space.kind == SpaceKind.TEAM,
            SpaceMember.status.in_([MemberStatus.ACTIVE, MemberStatus.INVITED]),
        )
        .order_by(Space.name)
    ).all()
    return [(space, member) for space, member in rows]


def other_course_spaces_for(person: Person, course: Course) -> list[Space]:
    """Course spaces of the person's *other* courses (where they are active staff)."""
    return list(
        db.session.scalars(
            db.select(Space)
            .join(Membership, Membership.course_id == Space.course_id)
            .where(
                Membership.person_id == person.id,
                Membership.is_active_staff(),
                Space.course_id != course.id,
            )
            .order_by(Space.name)
        )
    )


def create_team_space(person: Person, name: str, description: str) -> Space:
    """A new team space; its creator is its first member and owner."""
    space = Space(
        platform_id=person.platform_id,
        kind=SpaceKind.TEAM,
        name=name.strip(),
        description=description.strip(),
        created_by_id=person.id,
    )
    space.members.append(
        SpaceMember(person_id=person.id, status=MemberStatus.ACTIVE, is_owner=True,
                    responded_at=utcnow())
    )
    db.session.add(space)
    db.session.commit()
    return space


def update_space(space: Space, name: str, description: str) -> None:
    space.name = name.strip()
    space.description = description.strip()
    db.session.commit()


@dataclass(frozen=True)
class MemberRow:
    person: Person
    member: SpaceMember | None
    roles: str = ""  # course roles, for course spaces

    @property
    def strengths(self) -> str:
        return self.member.strengths if self.member else ""

    @property
    def is_owner(self) -> bool:
        return bool(self.member and self.member.is_owner)


def members_of(space: Space) -> list[MemberRow]:
    """Who is in the space now, with their profile; one query.

    A course space's members are the active staff on the roster of its course and of
    the courses linked as its copies; a team space's are its active ``SpaceMember`` rows.
    """
    if space.kind == SpaceKind.COURSE:
        copies = sa.select(CourseCopy.course_id).where(
            CourseCopy.source_course_id == space.course_id
        )
        rows = db.session.execute(
            db.select(Person, Membership, SpaceMember)
            .join(Membership, Membership.person_id == Person.id)
            .outerjoin(
                SpaceMember,
                sa.and_(SpaceMember.person_id == Person.id, SpaceMember.space_id == space.id),
            )
            .where(
                sa.or_(Membership.course_id == space.course_id,
                       Membership.course_id.in_(copies)),
                Membership.is_active_staff(),
            )
            .order_by(Person.family_name, Person.name, Person.id, Membership.course_id)
        ).all()
        seen: set[int] = set()  # someone who teaches in two linked courses is listed once
        return [MemberRow(p, sm, m.role_labels) for p, m, sm in rows
                if not (p.id in seen or seen.add(p.id))]
    rows = db.session.execute(
        db.select(Person, SpaceMember)
        .join(SpaceMember, SpaceMember.person_id == Person.id)
        .where(SpaceMember.space_id == space.id, SpaceMember.status == MemberStatus.ACTIVE)
        .order_by(SpaceMember.is_owner.desc(), Person.family_name, Person.name, Person.id)
    ).all()
    return [MemberRow(p, sm) for p, sm in rows]


def pending_invitations(space: Space) -> list[tuple[Person, SpaceMember]]:
    rows = db.session.execute(
        db.select(Person, SpaceMember)
        .join(SpaceMember, SpaceMember.person_id == Person.id)
        .where(SpaceMember.space_id == space.id, SpaceMember.status == MemberStatus.INVITED)
        .order_by(Person.family_name, Person.name, Person.id)
    ).all()
    return [(p, sm) for p, sm in rows]


def invitable_people(space: Space, inviter: Person) -> list[Person]:
    """Colleagues the inviter may invite: active staff of any course where the inviter is
    active staff, on the same platform, not already in (or invited to) the space. One query.
    """
    inviter_courses = (
        db.select(Membership.course_id)
        .where(
            Membership.person_id == inviter.id,
            Membership.is_active_staff(),
        )
        .scalar_subquery()
    )
    taken = (
        db.select(SpaceMember.person_id)
        .where(
            SpaceMember.space_id == space.id,
            SpaceMember.status.in_([MemberStatus.ACTIVE, MemberStatus.INVITED]),
        )
        .scalar_subquery()
    )
    colleagues = (
        db.select(Membership.person_id)
        .where(
            Membership.course_id.in_(inviter_courses),
            Membership.is_active_staff(),
        )
        .scalar_subquery()
    )
    return list(
        db.session.scalars(
            db.select(Person)
            .where(
                Person.id.in_(colleagues),
                Person.id.not_in(taken),
                Person.platform_id == space.platform_id,
            )
            .order_by(Person.family_name, Person.name, Person.id)
        )
    )


class UnknownPersonError(ValueError):
    """The chosen person is not a colleague this inviter may invite."""


def invite(space: Space, inviter: Person, person_ids: Iterable[int]) -> list[Person]:
    """Invite colleagues; refuses anyone outside :func:`invitable_people` as a whole."""
    allowed = {p.id: p for p in invitable_people(space, inviter)}
    wanted = list(dict.fromkeys(person_ids))
    if not wanted or any(pid not in allowed for pid in wanted):
        raise UnknownPersonError("choose colleagues from the list")
    existing = {
        m.person_id: m
        for m in db.session.scalars(
            db.select(SpaceMember).where(
                SpaceMember.space_id == space.id, SpaceMember.person_id.in_(wanted)
            )
        )
    }
    for pid in wanted:
        member = existing.get(pid)
        if member is None:
            member = SpaceMember(space_id=space.id, person_id=pid)
            db.session.add(member)
        member.status = MemberStatus.INVITED
        member.is_owner = False
        member.invited_by_id = inviter.id
        member.responded_at = None
    db.session.commit()
    return [allowed[pid] for pid in wanted]


def respond(member: SpaceMember, accept: bool) -> None:
    member.status = MemberStatus.ACTIVE if accept else MemberStatus.DECLINED
    member.responded_at = utcnow()
    db.session.commit()


def remove_member(space: Space, member: SpaceMember) -> None:
    """Take a member (or an open invitation) out of a team space; their plans stay."""
    member.status = MemberStatus.LEFT
    member.is_owner = False
    _keep_an_owner(space)
    db.session.commit()


def leave(space: Space, member: SpaceMember) -> None:
    remove_member(space, member)


def _keep_an_owner(space: Space) -> None:
    """When the last owner goes, the longest-standing active member takes over the space."""
    db.session.flush()
    owners = db.session.scalar(
        db.select(sa.func.count(SpaceMember.id)).where(
            SpaceMember.space_id == space.id,
            SpaceMember.status == MemberStatus.ACTIVE,
            SpaceMember.is_owner.is_(True),
        )
    )
    if owners:
        return
    heir = db.session.scalars(
        db.select(SpaceMember)
        .where(SpaceMember.space_id == space.id, SpaceMember.status == MemberStatus.ACTIVE)
        .order_by(SpaceMember.created_at, SpaceMember.id)
    ).first()
    if heir is not None:
        heir.is_owner = True


def save_strengths(space: Space, person: Person, strengths: str) -> SpaceMember:
    """A member's profile in this space; course spaces get a profile row on first save."""
    member = db.session.scalars(
        db.select(SpaceMember).filter_by(space_id=space.id, person_id=person.id)
    ).first()
    if member is None:
        member = SpaceMember(space_id=space.id, person_id=person.id, status=MemberStatus.ACTIVE)
        db.session.add(member)
    member.strengths = strengths.strip()
    db.session.commit()
    return member


def staff_courses_of(person: Person) -> list[Course]:
    """Courses where the person is active staff: the choices for a team plan's course."""
    return list(
        db.session.scalars(
            db.select(Course)
            .join(Membership, Membership.course_id == Course.id)
            .where(
                Membership.person_id == person.id,
                Membership.is_active_staff(),
            )
            .order_by(Course.title, Course.id)
        )
    )


# --- plans ----------------------------------------------------------------------------------


@dataclass
class PlanData:
    """What a teacher edits in a plan (the form's cleaned values)."""

    title: str
    kind: str
    starts_on: date | None = None
    ends_on: date | None = None
    course_id: int | None = None
    parent_id: int | None = None
    objectives: str = ""
    tags: str = ""
    body: str = ""


def _plan_order() -> tuple[Any, ...]:
    # Dated plans by date, undated ones after them; then the order they were added.
    return (Plan.starts_on.is_(None), Plan.starts_on, Plan.position, Plan.id)


# --- a space's home: every list in windows ---------------------------------------------------

# The lists of a space's home, in the order they are shown. Lessons of a unit are shown
# inside their unit; "lessons" are the ones in no (live) unit.
HOME_LISTS = ("units", "lessons", "meetings", "plc", "inquiry", "notes", "archived")
UNITS_SHOWN = 6  # units at a time, each with its lessons
LIST_SHOWN = 8  # items at a time of every other list
LESSONS_SHOWN = 20  # lessons shown inside a unit; the unit's page lists them all


@dataclass(frozen=True)
class PlanRow:
    """What a list shows of a plan: never its text."""

    id: int
    kind: str
    title: str
    starts_on: date | None
    ends_on: date | None
    parent_id: int | None


@dataclass(frozen=True)
class UnitRow:
    unit: PlanRow
    lessons: list[PlanRow]
    more_lessons: int  # lessons not shown here (see the unit's page)


HomeList = windows.Window  # a window of one list of the space's home


@dataclass(frozen=True)
class SpaceHome:
    lists: dict[str, HomeList]

    @property
    def is_empty(self) -> bool:
        return not any(self.lists[name].total for name in HOME_LISTS if name != "archived")


def _home_statements() -> tuple[sa.Select, sa.Select, sa.Select]:
    """The home page's three statements, built once (the values are bound parameters).

    Every plan of the space is numbered within its list (``n``, in date order, undated
    last), with whether it is over; the first statement sizes the lists, the second
    reads one window of each, the third the first lessons of the units shown.
    """
    space_id = sa.bindparam("space_id")
    unit = sa.orm.aliased(Plan)
    live_units = sa.select(unit.id).where(
        unit.space_id == space_id, unit.kind == PlanKind.UNIT, unit.archived.is_(False)
    ).scalar_subquery()
    which = sa.case(
        (Plan.archived.is_(True), "archived"),
        (Plan.kind == PlanKind.UNIT, "units"),
        (Plan.parent_id.in_(live_units), "in-unit"),
        (Plan.kind == PlanKind.LESSON, "lessons"),
        (Plan.kind == PlanKind.MEETING, "meetings"),
        (Plan.kind == PlanKind.PLC_CYCLE, "plc"),
        (Plan.kind == PlanKind.INQUIRY, "inquiry"),
        else_="notes",
    )
    over = sa.func.coalesce(Plan.ends_on, Plan.starts_on) < sa.bindparam("today", type_=sa.Date)
    ranked = (
        sa.select(
            Plan.id, Plan.kind, Plan.title, Plan.starts_on, Plan.ends_on, Plan.parent_id,
            which.label("list"),
            sa.case((over, 0), else_=1).label("current"),
            sa.func.row_number().over(partition_by=which, order_by=_plan_order()).label("n"),
        )
        .where(Plan.space_id == space_id)
        .subquery()
    )
    sizes = sa.select(
        ranked.c.list, sa.func.count(), sa.func.min(sa.case((ranked.c.current == 1, ranked.c.n)))
    ).group_by(ranked.c.list)
    windows = sa.select(ranked).where(sa.or_(*(
        sa.and_(ranked.c.list == name, ranked.c.n > sa.bindparam(f"from_{name}"),
                ranked.c.n <= sa.bindparam(f"to_{name}"))
        for name in HOME_LISTS
    ))).order_by(ranked.c.list, ranked.c.n)
    lessons = (
        sa.select(
            Plan.id, Plan.kind, Plan.title, Plan.starts_on, Plan.ends_on, Plan.parent_id,
            sa.func.row_number().over(partition_by=Plan.parent_id,
                                      order_by=_plan_order()).label("n"),
            sa.func.count().over(partition_by=Plan.parent_id).label("total"),
        )
        .where(Plan.parent_id.in_(sa.bindparam("units", expanding=True)),
               Plan.archived.is_(False))
        .subquery()
    )
    first_lessons = sa.select(lessons).where(lessons.c.n <= LESSONS_SHOWN).order_by(lessons.c.n)
    return sizes, windows, first_lessons


_HOME_SIZES, _HOME_WINDOWS, _HOME_LESSONS = _home_statements()


def parse_offsets(args: Any) -> dict[str, int]:
    """The windows a teacher asked for (``?units=6``): ASCII digits only, else ignored."""
    return windows.parse_offsets(args, HOME_LISTS)


def space_home(space: Space, offsets: dict[str, int] | None = None,
               today: date | None = None) -> SpaceHome:
    """A space's plans for its home page, one window of each list: three queries, and only
    the columns the lists show, whatever the number of plans.

    Each list is in date order (undated plans last). Unless ``offsets`` names another
    window, a list starts at its first plan that is not over (ends today or later, or
    has no date), so that the current unit comes first and past ones are a click away;
    a list that is all past shows its last window, the archive its first.
    """
    offsets = offsets or {}
    params: dict[str, Any] = {"space_id": space.id, "today": today or date.today()}
    sizes = db.session.execute(_HOME_SIZES, params).all()
    totals = {name: total for name, total, _ in sizes}
    first_current = {name: first for name, _, first in sizes}
    windows: dict[str, tuple[int, int]] = {}
    for name in HOME_LISTS:
        total, shown = totals.get(name, 0), UNITS_SHOWN if name == "units" else LIST_SHOWN
        if name in offsets:
            offset = offsets[name]
        elif name == "archived":
            offset = 0
        elif first_current.get(name):
            offset = first_current[name] - 1
        else:
            offset = total - shown
        offset = max(0, min(offset, total - 1))
        windows[name] = (offset, shown)
        params[f"from_{name}"], params[f"to_{name}"] = offset, offset + shown
    items: dict[str, list[PlanRow]] = {name: [] for name in HOME_LISTS}
    for row in db.session.execute(_HOME_WINDOWS, params):
        items[row.list].append(
            PlanRow(row.id, row.kind, row.title, row.starts_on, row.ends_on, row.parent_id)
        )
    units = items["units"]
    lessons = _lessons_of_units([u.id for u in units])
    lists = {
        name: HomeList(name, totals.get(name, 0), offset, shown, items[name])
        for name, (offset, shown) in windows.items()
    }
    lists["units"] = replace(lists["units"], items=[
        UnitRow(u, *lessons.get(u.id, ([], 0))) for u in units
    ])
    return SpaceHome(lists)


def _lessons_of_units(unit_ids: list[int]) -> dict[int, tuple[list[PlanRow], int]]:
    """The first :data:`LESSONS_SHOWN` live plans of each unit, and how many more; one query."""
    if not unit_ids:
        return {}
    found: dict[int, tuple[list[PlanRow], int]] = {}
    for row in db.session.execute(_HOME_LESSONS, {"units": unit_ids}):
        shown, _ = found.get(row.parent_id, ([], 0))
        shown.append(PlanRow(row.id, row.kind, row.title, row.starts_on, row.ends_on,
                             row.parent_id))
        found[row.parent_id] = (shown, row.total - len(shown))
    return found


def units_of(space: Space, exclude_id: int | None = None) -> list[Plan]:
    """The units a lesson may sit in."""
    query = db.select(Plan).where(
        Plan.space_id == space.id, Plan.kind == PlanKind.UNIT, Plan.archived.is_(False)
    )
    if exclude_id is not None:
        query = query.where(Plan.id != exclude_id)
    return list(db.session.scalars(query.order_by(*_plan_order())))


def lesson_rows(unit: Plan) -> list[PlanRow]:
    """The unit's lessons as its page lists them: titles and dates, not their text."""
    rows = db.session.execute(
        sa.select(Plan.id, Plan.kind, Plan.title, Plan.starts_on, Plan.ends_on, Plan.parent_id)
        .where(Plan.parent_id == unit.id, Plan.archived.is_(False))
        .order_by(*_plan_order())
    )
    return [PlanRow(*row) for row in rows]


def lessons_of(unit: Plan) -> list[Plan]:
    return list(db.session.scalars(
        db.select(Plan)
        .where(Plan.parent_id == unit.id, Plan.archived.is_(False))
        .order_by(*_plan_order())
    ))


def people_by_id(ids: Iterable[int | None]) -> dict[int, Person]:
    """Names for authors in one query (history pages, plan pages)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {p.id: p for p in db.session.scalars(db.select(Person).where(Person.id.in_(wanted)))}


def _revision(plan_id: int, version: int, data: PlanData, author: Person,
              restored_from: int | None = None) -> PlanRevision:
    return PlanRevision(
        plan_id=plan_id, version=version, title=data.title, starts_on=data.starts_on,
        ends_on=data.ends_on, objectives=data.objectives, tags=data.tags, body=data.body,
        author_id=author.id, restored_from=restored_from,
    )


def create_plan(space: Space, author: Person, data: PlanData, draft_key: str | None = None) -> Plan:
    """A new plan at version 1, with its first revision; the author's draft goes."""
    siblings = db.select(sa.func.coalesce(sa.func.max(Plan.position), 0)).where(
        Plan.space_id == space.id,
        Plan.parent_id.is_(None) if data.parent_id is None else Plan.parent_id == data.parent_id,
    )
    plan = Plan(
        space_id=space.id, parent_id=data.parent_id, kind=data.kind, title=data.title,
        starts_on=data.starts_on, ends_on=data.ends_on, course_id=data.course_id,
        objectives=data.objectives, tags=data.tags, body=data.body,
        position=(db.session.scalar(siblings) or 0) + 1, version=1,
        created_by_id=author.id, updated_by_id=author.id,
    )
    db.session.add(plan)
    db.session.flush()
    db.session.add(_revision(plan.id, 1, data, author))
    index_plan(plan.id, data)
    if draft_key:
        _delete_draft(author, space, draft_key)
    db.session.commit()
    return plan


def index_plan(plan_id: int, data: PlanData | Plan) -> None:
    """The plan's text in the search index, in the saving transaction."""
    search.index(Subject(PLAN_KIND, plan_id), title=data.title, tags=data.tags or "",
                 body=f"{data.objectives or ''}\n{data.body or ''}")


class StaleVersionError(Exception):
    """The plan moved on since the teacher loaded it: their save must not overwrite it."""

    def __init__(self, current_version: int) -> None:
        super().__init__(f"the plan is now at version {current_version}")
        self.current_version = current_version


def save_plan(plan: Plan, author: Person, base_version: int, data: PlanData,
              restored_from: int | None = None, clear_draft: bool = True) -> int:
    """Save a new version of the plan if, and only if, it is still at ``base_version``.

    The check and the update are one statement (``UPDATE … WHERE id = ? AND
    version = ?``): of two simultaneous saves from the same version, exactly one
    matches a row; the other sees rowcount 0 and is refused. Returns the new version.
    A save from the edit form also drops the author's autosaved draft of the plan;
    ``clear_draft=False`` keeps it (a tick on the plan page is not that edit).
    """
    plan_id, space_id = plan.id, plan.space_id
    result = db.session.execute(
        sa.update(Plan)
        .where(Plan.id == plan_id, Plan.version == base_version)
        .values(
            version=Plan.version + 1, title=data.title, kind=data.kind,
            starts_on=data.starts_on, ends_on=data.ends_on, course_id=data.course_id,
            parent_id=data.parent_id, objectives=data.objectives, tags=data.tags,
            body=data.body, updated_by_id=author.id, updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        current = db.session.scalar(db.select(Plan.version).where(Plan.id == plan_id))
        raise StaleVersionError(current or 0)
    new_version = base_version + 1
    db.session.add(_revision(plan_id, new_version, data, author, restored_from))
    index_plan(plan_id, data)
    if clear_draft:
        _delete_draft(author, db.session.get(Space, space_id), f"plan-{plan_id}")  # type: ignore[arg-type]
    try:
        db.session.commit()
    except IntegrityError as exc:  # the revision's (plan, version) is taken: someone else won
        db.session.rollback()
        raise StaleVersionError(new_version) from exc
    db.session.refresh(plan)
    return new_version


def plan_data(plan: Plan) -> PlanData:
    return PlanData(
        title=plan.title, kind=plan.kind, starts_on=plan.starts_on, ends_on=plan.ends_on,
        course_id=plan.course_id, parent_id=plan.parent_id, objectives=plan.objectives,
        tags=plan.tags, body=plan.body,
    )


def revisions_of(plan: Plan) -> list[PlanRevision]:
    return list(db.session.scalars(
        db.select(PlanRevision).where(PlanRevision.plan_id == plan.id)
        .order_by(PlanRevision.version.desc())
    ))


def get_revision(plan: Plan, version: int) -> PlanRevision | None:
    return db.session.scalars(
        db.select(PlanRevision).filter_by(plan_id=plan.id, version=version)
    ).first()


def restore(plan: Plan, author: Person, revision: PlanRevision) -> int:
    """A new revision equal to an old one; history keeps every version in between."""
    data = plan_data(plan)
    data.title, data.starts_on, data.ends_on = revision.title, revision.starts_on, revision.ends_on
    data.objectives, data.tags, data.body = revision.objectives, revision.tags, revision.body
    return save_plan(plan, author, plan.version, data, restored_from=revision.version)


# --- checklists ticked on the plan page ----------------------------------------------------

CHECKLIST_FIELDS = ("objectives", "body")
TICK_ATTEMPTS = 5


class ChecklistItemGoneError(Exception):
    """The item the page showed is no longer in the plan (a colleague removed or reworded it)."""


@dataclass(frozen=True)
class Tick:
    version: int
    changed: bool
    item: markdown.TaskItem


def tick(plan: Plan, author: Person, field_name: str, index: int, words: str,
         checked: bool) -> Tick:
    """Tick (or untick) one checklist item of the plan: a small revision by ``author``.

    The tick is applied to the plan *as it is now*, to the item with those words (see
    :func:`lti_tool.markdown.find_task`), never by writing back the page's copy of the
    text: a colleague's save in between is kept. If another save lands between reading
    and writing, :func:`save_plan` refuses it as stale and the tick is applied again to
    the newer version, so two people ticking at once both keep their ticks. Ticking an
    item that is already in that state saves nothing.
    """
    if field_name not in CHECKLIST_FIELDS:
        raise ValueError(f"no checklist field {field_name!r}")
    plan_id = plan.id
    for _attempt in range(TICK_ATTEMPTS):
        current = db.session.get(Plan, plan_id, populate_existing=True)
        if current is None:
            raise ChecklistItemGoneError(words)
        source = getattr(current, field_name)
        item = markdown.find_task(source, index, words)
        if item is None:
            raise ChecklistItemGoneError(words)
        if item.checked == checked:
            return Tick(current.version, False, item)
        data = plan_data(current)
        setattr(data, field_name, markdown.set_task(source, item, checked))
        try:
            version = save_plan(current, author, current.version, data, clear_draft=False)
        except StaleVersionError:
            continue  # a colleague saved meanwhile: tick their version instead
        return Tick(version, True, item)
    raise StaleVersionError(plan.version)


def set_archived(plan: Plan, archived: bool) -> None:
    """Archive hides a plan from the space's lists; nothing is deleted."""
    plan.archived = archived
    db.session.commit()


# --- templates ------------------------------------------------------------------------------


def space_templates(space: Space) -> list[SpaceTemplate]:
    return list(db.session.scalars(
        db.select(SpaceTemplate).where(SpaceTemplate.space_id == space.id)
        .order_by(SpaceTemplate.name, SpaceTemplate.id)
    ))


def get_space_template(space: Space, template_id: int) -> SpaceTemplate | None:
    return db.session.scalars(
        db.select(SpaceTemplate).filter_by(id=template_id, space_id=space.id)
    ).first()


def save_as_template(space: Space, author: Person, plan: Plan, name: str) -> SpaceTemplate:
    template = SpaceTemplate(
        space_id=space.id, kind=plan.kind, name=name.strip(), objectives=plan.objectives,
        body=plan.body, created_by_id=author.id,
    )
    db.session.add(template)
    db.session.commit()
    return template


def delete_template(template: SpaceTemplate) -> None:
    db.session.delete(template)
    db.session.commit()


# --- drafts (autosave) ----------------------------------------------------------------------


class InvalidDraftError(ValueError):
    """An autosave payload that is not a plan form's fields."""


def clean_draft_data(data: Any) -> dict[str, str]:
    """Only the plan form's fields, as strings of bounded size."""
    if not isinstance(data, dict):
        raise InvalidDraftError("data must be an object")
    cleaned: dict[str, str] = {}
    for key in DRAFT_FIELDS:
        value = data.get(key, "")
        if value is None:
            value = ""
        if not isinstance(value, str | int):
            raise InvalidDraftError(f"{key} must be text")
        value = str(value)
        limit = BODY_MAX_CHARS * 2 if key == "body" else OBJECTIVES_MAX_CHARS
        if len(value) > limit:
            raise InvalidDraftError(f"{key} is too long")
        cleaned[key] = value
    return cleaned


def save_draft(person: Person, space: Space, plan_key: str, base_version: int | None,
               data: dict[str, str]) -> Draft:
    """Upsert the person's draft for this plan (or new plan) in this space."""
    for _attempt in range(2):
        draft = get_draft(person, space, plan_key)
        if draft is None:
            draft = Draft(person_id=person.id, space_id=space.id, plan_key=plan_key)
            db.session.add(draft)
        draft.base_version = base_version
        draft.data = data
        draft.updated_at = utcnow()
        try:
            db.session.commit()
            return draft
        except IntegrityError:  # the same teacher's other tab inserted it first: update it
            db.session.rollback()
    raise InvalidDraftError("the draft could not be saved")


def get_draft(person: Person, space: Space, plan_key: str) -> Draft | None:
    return db.session.scalars(
        db.select(Draft).filter_by(person_id=person.id, space_id=space.id, plan_key=plan_key)
    ).first()


def _delete_draft(person: Person, space: Space, plan_key: str) -> None:
    db.session.execute(
        sa.delete(Draft).where(
            Draft.person_id == person.id, Draft.space_id == space.id, Draft.plan_key == plan_key
        )
    )


def discard_draft(person: Person, space: Space, plan_key: str) -> None:
    _delete_draft(person, space, plan_key)
    db.session.commit()


# --- export ---------------------------------------------------------------------------------


def slugify(text: str, fallback: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60].strip("-")
    return slug or fallback


def _dates(plan: Plan | PlanRevision) -> str:
    if plan.starts_on and plan.ends_on and plan.starts_on != plan.ends_on:
        return f"{plan.starts_on.isoformat()} to {plan.ends_on.isoformat()}"
    day = plan.starts_on or plan.ends_on
    return day.isoformat() if day else ""


def plan_markdown(plan: Plan, heading: str = "#") -> str:
    """One plan as a Markdown document section (the body's own headings are kept as written)."""
    parts = [f"{heading} {plan.title}", ""]
    facts = []
    if _dates(plan):
        facts.append(f"- Dates: {_dates(plan)}")
    if plan.tags:
        facts.append(f"- Standards and tags: {plan.tags}")
    if facts:
        parts += [*facts, ""]
    if plan.objectives.strip():
        parts += [f"{heading}# Learning objectives", "", plan.objectives.strip(), ""]
    if plan.body.strip():
        parts += [plan.body.strip(), ""]
    return "\n".join(parts)


def export_markdown(plan: Plan, lessons: list[Plan], exported_at: datetime | None = None) -> str:
    """A unit and its lessons as one Markdown file, for a colleague without Staffroom."""
    out = [plan_markdown(plan)]
    for lesson in lessons:
        out += ["---", "", plan_markdown(lesson, heading="##")]
    when = (exported_at or utcnow()).strftime("%Y-%m-%d %H:%M UTC")
    out.append(f"*Exported from Staffroom on {when}.*\n")
    return "\n".join(out)


# --- visits ("changed since your last visit") -------------------------------------------


def record_space_visit(space: Space, person: Person, when: datetime | None = None) -> None:
    """Stamp the person's last visit to the space's home page (see :func:`record_visits`)."""
    record_visits(person.id, [space.id], when or utcnow())


def record_visits(person_id: int, space_ids: Collection[int], when: datetime) -> None:
    """Stamp the person's last visit to these spaces: "changed since your last visit" counts
    from it. A stamp never moves back (visits recorded after their response may arrive out
    of order), and the person's own rows only are written.

    A course space grants access through the roster, so its members may have no
    ``SpaceMember`` row yet: the first visit creates one (a concurrent first visit that
    wins the unique constraint is simply updated instead). A team space's visit is
    recorded only for its members.
    """
    ids = sorted(set(space_ids))
    if not ids:
        return
    stamp = sa.update(SpaceMember).where(
        SpaceMember.person_id == person_id,
        SpaceMember.space_id.in_(ids),
        sa.or_(SpaceMember.last_visit_at.is_(None), SpaceMember.last_visit_at < when),
    ).values(last_visit_at=when).execution_options(synchronize_session=False)
    has_row = sa.select(SpaceMember.id).where(
        SpaceMember.space_id == Space.id, SpaceMember.person_id == person_id
    )
    first_visits = sa.select(Space.id).where(
        Space.id.in_(ids), Space.kind == SpaceKind.COURSE, ~has_row.exists()
    )
    for attempt in range(2):
        db.session.execute(stamp)
        db.session.add_all(
            SpaceMember(space_id=space_id, person_id=person_id, status=MemberStatus.ACTIVE,
                        last_visit_at=when)
            for space_id in db.session.scalars(first_visits)
        )
        try:
            db.session.commit()
            return
        except IntegrityError:  # the same person's other request made the row meanwhile
            db.session.rollback()
            if attempt:
                raise


def plan_ids_of(space: Space) -> sa.Select:
    """``SELECT id`` of the space's plans (for the blocks' queries about a whole space)."""
    return sa.select(Plan.id).where(Plan.space_id == space.id)
