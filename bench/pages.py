"""Every main page at a realistic school size: p50, p95, SQL statements and HTML size.

Usage (``make bench-pages`` runs the defaults)::

    .venv/bin/python -m bench.pages [--sizes tenth,full] [--databases sqlite,postgresql]
                                    [--repeats 40] [--postgres-url URL]

For each database and size, the benchmark builds a fresh database with the real
migrations and fills a school **through the project's own code**: teachers launch
from their courses (real LTI launches), the course rosters bring in every teacher
and learner (NRPS, :func:`lti_tool.courses.roster.sync_roster`), and spaces, plans
and their revisions, tasks and comments are made by the services the pages use
(``planning.services``, ``tasks.services``, ``discussion.services``). Then one
teacher, signed in by a launch, opens every main page in turn, ``--repeats`` times,
in-process with the Flask test client, and each request is measured: wall time,
CPU time, the SQL statements it sent (and how many of them wrote), the statements
run after the response was sent, and the size of the HTML.

Features add their data and their pages here, in two registries (see "Adding a
feature's pages" in ``bench/README.md``)::

    @seeder("observations", order=60)
    def seed_observations(school: School) -> None: ...

    page("observation", 60, "Observation",
         lambda s: f"{s.course_url}/observations/{s.ids['observation']}")

The exit status is 1 when a page answered anything but 200 or its statement count
differed between the sizes (an N+1), 2 when the benchmark could not start, else 0.
Timings are figures to read, not tests to pass: ``bench/README.md`` says how.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from bench.lms import INSTRUCTOR, LEARNER, Member, SchoolLms

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
TOOL_BASE = "https://tool.bench.test"
TARGET_P95_MS = 50.0
DEFAULT_POSTGRES_URL = "postgresql://127.0.0.1:5432/bench_pages"
SEARCH_WORD = "energy"  # in about half of the plans and a fifth of the comments


# --- sizes ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scale:
    """How big the school is. Every count scales with :meth:`scaled`.

    A feature that needs a size of its own adds a field here (an int scales with
    the rest); until then it can derive its counts from these.
    """

    name: str
    learners: int
    teachers: int
    plans: int
    revisions: int  # per plan
    tasks: int
    comments: int
    observations: int  # in course 0, among its staff
    notes: int  # about the learners, spread over the courses

    def scaled(self, name: str, factor: float) -> Scale:
        counts = {
            f.name: max(2, round(getattr(self, f.name) * factor))
            for f in fields(self) if f.name != "name"
        }
        counts["teachers"] = max(6, counts["teachers"])  # two courses and two teams at least
        return replace(self, name=name, **counts)


FULL = Scale("full", learners=1000, teachers=60, plans=500, revisions=20, tasks=2000,
             comments=5000, observations=1000, notes=20000)
TENTH = FULL.scaled("tenth", 0.1)
SIZES = {"full": FULL, "tenth": TENTH}


# --- the school and the registries --------------------------------------------------------------


@dataclass
class SpaceSeed:
    id: int
    kind: str
    members: list[int]  # teacher indexes


@dataclass
class PlanSeed:
    id: int
    space: int  # index in School.spaces
    kind: str
    archived: bool = False


@dataclass
class School:
    """What the seeders built, by id, for the pages to open and later seeders to use.

    Teachers and learners are numbered from 0; teacher 0 is the teacher whose pages
    are measured: staff of courses 0 and 1, owner of team space 0, invited to team
    space 1, owner of a fifth of the tasks and mentioned in about a tenth of the comments.
    """

    app: Flask
    scale: Scale
    lms: SchoolLms
    tag: str
    platform_id: int = 0
    rng: random.Random = field(default_factory=lambda: random.Random(17))  # noqa: S311
    teachers: list[Member] = field(default_factory=list)
    learners: list[Member] = field(default_factory=list)
    course_contexts: list[str] = field(default_factory=list)
    course_ids: list[int] = field(default_factory=list)
    teacher_ids: list[int] = field(default_factory=list)  # person ids by teacher index
    spaces: list[SpaceSeed] = field(default_factory=list)
    plans: list[PlanSeed] = field(default_factory=list)
    ids: dict[str, Any] = field(default_factory=dict)  # the objects the pages open
    client: FlaskClient | None = None  # the measured teacher, signed in to course 0

    @property
    def courses(self) -> int:
        return max(2, self.scale.teachers // 3)

    @property
    def teams(self) -> int:
        return max(2, self.scale.teachers // 10)

    @property
    def course_url(self) -> str:
        return f"/courses/{self.ids['course']}"

    @property
    def space_url(self) -> str:
        return f"{self.course_url}/spaces/{self.ids['space']}"

    @property
    def plan_url(self) -> str:
        return f"{self.space_url}/plans/{self.ids['plan']}"

    def teacher_courses(self, teacher: int) -> list[int]:
        """Each teacher teaches two courses: ``t mod n`` and the next one."""
        return sorted({teacher % self.courses, (teacher + 1) % self.courses})

    def person(self, teacher: int):  # type: ignore[no-untyped-def]
        from lti_tool.courses.models import Person
        from lti_tool.extensions import db

        return db.session.get(Person, self.teacher_ids[teacher])

    def my_spaces(self) -> list[int]:
        """Indexes of the spaces teacher 0 may open."""
        return [i for i, s in enumerate(self.spaces) if 0 in s.members]


@dataclass(frozen=True)
class Seeder:
    name: str
    order: int
    seed: Callable[[School], None]


@dataclass(frozen=True)
class Page:
    name: str
    order: int
    label: str
    url: Callable[[School], str]
    before: Callable[[School], None] | None = None  # untimed, before each request
    writes: str = ""  # why the page writes on the request path, if it must


SEEDERS: dict[str, Seeder] = {}
PAGES: dict[str, Page] = {}


def seeder(name: str, order: int) -> Callable[[Callable[[School], None]], Callable[[School], None]]:
    """Register a function that adds data to the school (run in ``order``, in an app context)."""

    def register(fn: Callable[[School], None]) -> Callable[[School], None]:
        SEEDERS[name] = Seeder(name, order, fn)
        return fn

    return register


def page(name: str, order: int, label: str, url: Callable[[School], str],
         before: Callable[[School], None] | None = None, *, writes: str = "") -> None:
    """Register a page to measure: a GET of ``url(school)`` as teacher 0, answered 200.

    ``before(school)``, if given, runs before each request, untimed and uncounted (in an
    application context): what colleagues do between two visits of the page. ``writes``
    says why a page writes on the request path by design (an audit line); every other
    page must not write there.
    """
    PAGES[name] = Page(name, order, label, url, before, writes)


# --- text ---------------------------------------------------------------------------------------

TOPICS = ["energy", "cells", "forces", "ecosystems", "fractions", "poetry", "the Romans",
          "climate", "electricity", "algebra", "rivers", "persuasive writing", "volcanoes",
          "probability", "migration", "sound", "light", "chemical reactions"]
VERBS = ["explain", "compare", "describe", "model", "investigate", "evaluate", "sketch",
         "measure", "discuss", "predict"]
THINGS = ["a worked example", "the key vocabulary", "an exit ticket", "a practical",
          "group discussion", "the success criteria", "a diagram", "prior knowledge",
          "a short quiz", "peer feedback", "the misconceptions"]
GIVEN = ["Ada", "Bo", "Chidi", "Dana", "Elif", "Farah", "Gus", "Hana", "Ivo", "Jun", "Kit",
         "Lena", "Mo", "Nia", "Omar", "Priya", "Quin", "Rosa", "Sami", "Tove"]
FAMILY = ["Adams", "Baker", "Costa", "Diaz", "Evans", "Fischer", "Garcia", "Hughes", "Ito",
          "Jones", "Kaur", "Lopez", "Murphy", "Nowak", "Okafor", "Patel", "Quist", "Reyes",
          "Silva", "Tanaka", "Ueda", "Varga", "Wong"]
YEAR_START = date(2026, 9, 7)
LONG_OVERDUE = date.today() - timedelta(days=120)  # before any of teacher 0's planning tasks
PATTERN = ["unit", "lesson", "lesson", "lesson", "lesson", "meeting", "unit", "lesson",
           "lesson", "lesson", "lesson", "plc_cycle", "unit", "lesson", "lesson", "loose",
           "inquiry", "note", "lesson", "meeting"]
TASK_TITLES = ["Print the worksheets", "Book the lab", "Moderate the essays", "Write the quiz",
               "Share the slides", "Order the kits", "Update the rubric", "Plan the trip"]


def sentence(rng: random.Random, topic: str | None = None) -> str:
    topic = topic or rng.choice(TOPICS)
    return (f"Pupils {rng.choice(VERBS)} {topic} using {rng.choice(THINGS)}, then "
            f"{rng.choice(VERBS)} it with {rng.choice(THINGS)}.")


def plan_body(rng: random.Random, topic: str) -> tuple[str, str]:
    """(objectives, body): about 2.5 KB of Markdown with a table and a checklist."""
    objectives = "\n".join(f"- {v.capitalize()} {topic} with {t}" for v, t in zip(
        rng.sample(VERBS, 3), rng.sample(THINGS, 3), strict=True))
    rows = "\n".join(
        f"| {n} | {sentence(rng, topic)} | {rng.choice(THINGS).capitalize()} |"
        for n in range(1, 6)
    )
    checklist = "\n".join(f"- [{' x'[n % 2]}] {rng.choice(THINGS).capitalize()}"
                          for n in range(4))
    paragraphs = [" ".join(sentence(rng, topic if n % 2 else None) for n in range(4))
                  for _ in range(3)]
    body = (f"## Overview\n\n{paragraphs[0]}\n\n## Sequence\n\n"
            f"| Lesson | Focus | Assessment |\n| --- | --- | --- |\n{rows}\n\n"
            f"## Resources\n\n{checklist}\n\n## Differentiation\n\n{paragraphs[1]}\n\n"
            f"## Notes\n\n{paragraphs[2]}\n")
    return objectives, body


# --- seeders: the school, through the project's own services ------------------------------------


@seeder("people", order=10)
def seed_people(school: School) -> None:
    """Courses, teachers and learners: one launch per course, then its roster (NRPS)."""
    from lti_tool.courses.models import Course, Person
    from lti_tool.courses.roster import sync_roster
    from lti_tool.extensions import db

    s = school.scale
    school.teachers = [
        Member(f"{school.tag}-teacher-{t}", GIVEN[t % len(GIVEN)], FAMILY[t % len(FAMILY)],
               (INSTRUCTOR,))
        for t in range(s.teachers)
    ]
    school.learners = [
        Member(f"{school.tag}-learner-{n}", GIVEN[(n * 7) % len(GIVEN)],
               f"{FAMILY[n % len(FAMILY)]}-{n}", (LEARNER,))
        for n in range(s.learners)
    ]
    n = school.courses
    school.course_contexts = [f"{school.tag}-course-{c}" for c in range(n)]
    for c, context_id in enumerate(school.course_contexts):
        staff = [m for t, m in enumerate(school.teachers) if c in school.teacher_courses(t)]
        learners = [m for i, m in enumerate(school.learners)
                    if c in {i % n, (i + 1) % n, (i + 3) % n, (i + 7) % n}]
        school.lms.rosters[context_id] = staff + learners
        # The course appears with its first teacher's launch, which offers the roster.
        school.lms.launch(school.app.test_client(), staff[-1], context_id, course_title(c),
                          roster=True)
    with school.app.app_context():
        courses = {
            c.context_id: c for c in db.session.scalars(
                db.select(Course).where(Course.platform_id == school.platform_id))
        }
        for context_id in school.course_contexts:
            sync_roster(courses[context_id])
        school.course_ids = [courses[c].id for c in school.course_contexts]
        ids = dict(db.session.execute(
            db.select(Person.sub, Person.id).where(Person.platform_id == school.platform_id)
        ).all())
        school.teacher_ids = [ids[m.sub] for m in school.teachers]
    school.ids["course"] = school.course_ids[0]


def course_title(c: int) -> str:
    return f"{TOPICS[c % len(TOPICS)].capitalize()}, Year {7 + c % 5} (group {c})"


@seeder("spaces", order=20)
def seed_spaces(school: School) -> None:
    """The course spaces, and team spaces whose owners invite their colleagues."""
    from lti_tool.courses.models import Course
    from lti_tool.extensions import db
    from lti_tool.planning import services
    from lti_tool.planning.models import SpaceMember

    with school.app.app_context():
        for c, course_id in enumerate(school.course_ids):
            space = services.ensure_course_space(db.session.get(Course, course_id),
                                                 school.person(c))
            staff = [t for t in range(len(school.teachers)) if c in school.teacher_courses(t)]
            school.spaces.append(SpaceSeed(space.id, "course", staff))
        for k in range(school.teams):
            owner = school.person(k)
            space = services.create_team_space(
                owner, f"{TOPICS[k].capitalize()} team", "A department's shared planning")
            colleagues = [
                t for t in range(len(school.teachers))
                if t != k and set(school.teacher_courses(t)) & set(school.teacher_courses(k))
            ][:8]
            services.invite(space, owner, [school.teacher_ids[t] for t in colleagues])
            members = [k]
            for t in colleagues:
                if k == 1 and t == 0:
                    continue  # teacher 0 keeps an open invitation
                member = db.session.scalars(db.select(SpaceMember).filter_by(
                    space_id=space.id, person_id=school.teacher_ids[t])).one()
                services.respond(member, accept=True)
                members.append(t)
            school.spaces.append(SpaceSeed(space.id, "team", members))
    school.ids["space"] = school.spaces[0].id
    school.ids["team_space"] = school.spaces[school.courses].id


@seeder("visits", order=25)
def seed_visits(school: School) -> None:
    """Teacher 0 opened each of their spaces before colleagues' latest changes."""
    from lti_tool.extensions import db
    from lti_tool.planning import services
    from lti_tool.planning.models import Space

    with school.app.app_context():
        me = school.person(0)
        for index in school.my_spaces():
            services.record_space_visit(db.session.get(Space, school.spaces[index].id), me)


@seeder("plans", order=30)
def seed_plans(school: School) -> None:
    """Plans in every space (three in five in course 0's), each saved ``revisions`` times."""
    from lti_tool.extensions import db
    from lti_tool.planning import services
    from lti_tool.planning.models import Plan, Space

    rng, s = school.rng, school.scale
    main, others = 0, list(range(1, len(school.spaces)))
    counts = [0] * len(school.spaces)
    units: dict[int, tuple[int, date, int]] = {}  # space -> (unit id, start, lessons so far)
    with school.app.app_context():
        people = [school.person(t) for t in range(len(school.teachers))]
        spaces = [db.session.get(Space, seed.id) for seed in school.spaces]
        for i in range(s.plans):
            index = main if i % 5 < 3 else others[(i // 5 * 2 + i % 5 - 3) % len(others)]
            seed, k = school.spaces[index], counts[index]
            counts[index] += 1
            slot = PATTERN[k % len(PATTERN)]
            topic = TOPICS[(k // len(PATTERN) + index) % len(TOPICS)]
            objectives, body = plan_body(rng, topic)
            kind, parent, starts, ends = slot, None, None, None
            if slot == "unit":
                starts = YEAR_START + timedelta(weeks=(k // 6 * 3) % 39)
                ends = starts + timedelta(days=18)
                title = f"Unit {k // 6 + 1}: {topic.capitalize()}"
            elif slot == "lesson" and index in units:
                parent, unit_start, lessons = units[index]
                starts = ends = unit_start + timedelta(days=2 * lessons)
                units[index] = (parent, unit_start, lessons + 1)
                title = f"Lesson {lessons + 1}: {rng.choice(VERBS)} {topic}"
            elif slot in ("lesson", "loose"):
                kind, starts = "lesson", YEAR_START + timedelta(days=k % 200)
                ends = starts
                title = f"Cover lesson: {topic}"
            elif slot == "meeting":
                starts = ends = YEAR_START + timedelta(days=7 * (k // 10))
                title = f"Department meeting {k // 10 + 1}"
            else:
                title = f"{slot.replace('_', ' ').capitalize()}: {topic}"
            if SEARCH_WORD not in body and i % 2 == 0:
                body += f"\nLink it to {SEARCH_WORD} where you can.\n"
            data = services.PlanData(title=title, kind=kind, starts_on=starts, ends_on=ends,
                                     parent_id=parent, objectives=objectives,
                                     tags=f"KS3, {topic}", body=body)
            editors = seed.members
            author = people[editors[i % len(editors)]]
            plan = services.create_plan(spaces[index], author, data)
            if kind == "unit":
                units[index] = (plan.id, starts, 0)  # type: ignore[assignment]
            for version in range(1, s.revisions):
                editor = editors[(i + version) % len(editors)]
                if editor == 0 and len(editors) > 1 and version == s.revisions - 1:
                    editor = editors[(i + version + 1) % len(editors)]  # a colleague saves last
                data.body += f"\n- Revision {version + 1}: {sentence(rng, topic)}"
                services.save_plan(plan, people[editor], version, data)
            archived = slot == "note" and k % 40 == 17
            if archived:
                services.set_archived(plan, True)
            school.plans.append(PlanSeed(plan.id, index, kind, archived))
        # The measured plan: the first unit of course 0's space, with its lessons.
        first_unit = db.session.scalar(
            db.select(Plan.id).where(Plan.space_id == school.spaces[main].id,
                                     Plan.kind == "unit").order_by(Plan.id))
        school.ids["plan"] = first_unit
        school.ids["version"] = s.revisions


@seeder("tasks", order=40)
def seed_tasks(school: School) -> None:
    """Tasks on plans and spaces, owned by members; a fifth are teacher 0's.

    Teacher 0's tasks have a fixed shape at every size, so that every list they
    appear in holds tasks on spaces and on plans, open and done, overdue first.
    """
    from lti_tool.courses.registry import Subject
    from lti_tool.planning.services import PLAN_KIND, SPACE_KIND
    from lti_tool.tasks import services

    rng, today = school.rng, date.today()
    live = [p for p in school.plans if not p.archived]
    mine = [p for p in live if p.space in school.my_spaces()]
    main = [p for p in live if p.space == 0]
    measured = next(p for p in school.plans if p.id == school.ids["plan"])
    with school.app.app_context():
        people = [school.person(t) for t in range(len(school.teachers))]
        for i in range(school.scale.tasks):
            j = i // 5
            due: date | None = None if i % 7 == 0 else today + timedelta(days=i % 45 - 10)
            if i % 5 == 0:  # teacher 0's
                owner, status = 0, ("done", "doing", "todo", "todo")[j % 4]
                target = rng.choice(main if j % 8 in (1, 2) else mine)
                on_space = j % 8 in (0, 1)  # some done and doing ones on the space itself
                if j % 8 in (1, 2):
                    due = today - timedelta(days=30 + j // 8)  # overdue, in pairs: listed first
            else:
                target = measured if i % 50 == 1 else rng.choice(live)
                owner = rng.choice(school.spaces[target.space].members)
                status, on_space = ("done", "doing", "todo", "todo")[i % 4], i % 5 == 4
            space = school.spaces[target.space]
            subject = Subject(SPACE_KIND, space.id) if on_space else Subject(PLAN_KIND, target.id)
            data = services.TaskInput(title=f"{rng.choice(TASK_TITLES)} ({i})",
                                      owner_id=school.teacher_ids[owner], due_on=due,
                                      status=status)
            services.create_task(subject, data, people[rng.choice(space.members)])


@seeder("comments", order=50)
def seed_comments(school: School) -> None:
    """Comments on plans, a tenth mentioning teacher 0; they have seen half of those plans."""
    from lti_tool.courses.registry import Subject
    from lti_tool.discussion import services
    from lti_tool.planning.services import PLAN_KIND

    rng = school.rng
    live = [p for p in school.plans if not p.archived]
    mine = [p for p in live if p.space in school.my_spaces()]
    measured = next(p for p in school.plans if p.id == school.ids["plan"])
    me = school.teachers[0].name
    mentioned: list[int] = []
    with school.app.app_context():
        people = [school.person(t) for t in range(len(school.teachers))]
        for i in range(school.scale.comments):
            if i % 100 == 0:
                target = measured
            elif i % 10 == 5:
                target = rng.choice(mine)
            else:
                target = rng.choice(live)
            members = school.spaces[target.space].members
            author = rng.choice([t for t in members if t != 0] or members)
            body = " ".join(sentence(rng, SEARCH_WORD if i % 5 == 0 else None)
                            for _ in range(1 + i % 3))
            if (i % 10 == 5 or (target is measured and i % 200 == 0)) and 0 in members:
                body = f"@{me} {body}"
                mentioned.append(target.id)
            services.add_comment(Subject(PLAN_KIND, target.id), people[author], body)
        me_person = people[0]
        for plan_id in sorted(set(mentioned))[::2]:
            services.mark_mentions_seen(me_person.id, Subject(PLAN_KIND, plan_id))


@seeder("observations", order=60)
def seed_observations(school: School) -> None:
    """Observations among course 0's staff, through the feature's services (as
    ``bench/observations.py`` makes them: all shared, two in three reflected on, some
    closed), and one that teacher 0 has started observing: its lesson form is open."""
    import sqlalchemy as sa

    from bench.observations import observations, started
    from lti_tool.courses.models import Course
    from lti_tool.extensions import db
    from lti_tool.observations.models import Observation, State

    with school.app.app_context():
        course = db.session.get(Course, school.course_ids[0])
        observations(course, school.scale.observations)
        me = school.teacher_ids[0]
        school.ids["observation"] = db.session.scalar(
            sa.select(Observation.id).where(
                Observation.course_id == course.id, Observation.state == State.REFLECTED,
                sa.or_(Observation.observer_id == me, Observation.observee_id == me))
            .order_by(Observation.id))
        colleague = next(t for t in range(1, len(school.teachers))
                         if 0 in school.teacher_courses(t))
        school.ids["lesson"] = started(course, school.person(colleague), school.person(0),
                                       school.scale.observations).id
        # A next step of theirs, long overdue: "My tasks" lists it first at every size.
        from lti_tool.courses.registry import Subject
        from lti_tool.observations.services import KIND
        from lti_tool.tasks import services as tasks

        tasks.create_task(Subject(KIND, school.ids["observation"]), tasks.TaskInput(
            title="Try think-pair-share", owner_id=me, due_on=LONG_OVERDUE, status="todo"),
            school.person(0))


@seeder("notes", order=70)
def seed_notes(school: School) -> None:
    """Notes about the learners of every course by its staff, through
    ``notes.services.create_notes`` (as ``bench/notes.py`` writes them); a tenth of course
    0's class has notes from last term only."""
    import sqlalchemy as sa

    from bench.notes import last_term, write_notes
    from lti_tool.courses.models import Course, Membership, Person
    from lti_tool.extensions import db
    from lti_tool.notes import services

    per_course = max(1, school.scale.notes // school.courses)
    batch = 0
    with school.app.app_context():
        classes = []
        for c, course_id in enumerate(school.course_ids):
            staff = [school.person(t) for t in range(len(school.teachers))
                     if c in school.teacher_courses(t)]
            learners = db.session.scalars(
                sa.select(Person).join(Membership, Membership.person_id == Person.id)
                .where(Membership.course_id == course_id, Membership.is_learner.is_(True))
                .order_by(Person.id)).all()
            batch = write_notes(db.session.get(Course, course_id), staff, learners,
                                per_course, batch)
            classes.append(learners)
        # A follow-up of theirs, long overdue: "My tasks" lists it first at every size.
        services.create_notes(
            db.session.get(Course, school.course_ids[0]), school.person(0), classes[0][:1],
            services.NoteInput(category="support", body="Struggled with the homework.",
                               visibility="our", follow_up="Call home",
                               follow_up_owner_id=school.teacher_ids[0],
                               follow_up_due=LONG_OVERDUE))
        last_term(classes[0][-max(1, len(classes[0]) // 10):])
        school.ids["learner"] = classes[0][0].id


@seeder("statistics", order=80)
def gather_statistics(school: School) -> None:
    """PostgreSQL: what autovacuum does on a live server (dead rows gone, planner statistics).

    SQLite keeps no statistics unless someone runs ANALYZE, so it is left as it is.
    """
    import sqlalchemy as sa

    from lti_tool.extensions import db

    with school.app.app_context():
        if db.engine.dialect.name != "postgresql":
            return
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(
                sa.text("VACUUM ANALYZE"))


@seeder("sign-in", order=90)
def sign_in(school: School) -> None:
    """Teacher 0 launches into course 0: the browser every page is measured with."""
    client = school.app.test_client()
    school.lms.launch(client, school.teachers[0], school.course_contexts[0], course_title(0))
    school.client = client


# --- the pages ----------------------------------------------------------------------------------

def colleagues_save_plans(school: School) -> None:
    """Between two visits of the dashboard, colleagues save a plan in each of teacher 0's
    spaces, so that every visit has changes to show (and then clears them)."""
    from lti_tool.extensions import db
    from lti_tool.planning import services
    from lti_tool.planning.models import Plan

    with school.app.app_context():
        for index in school.my_spaces():
            seed = next(p for p in school.plans if p.space == index and not p.archived)
            plan = db.session.get(Plan, seed.id)
            editor = next(t for t in school.spaces[index].members if t != 0)
            data = services.plan_data(plan)
            data.body += "\n- One more idea."
            services.save_plan(plan, school.person(editor), plan.version, data)


page("dashboard", 10, "Course dashboard", lambda s: f"{s.course_url}/", colleagues_save_plans)
page("spaces", 20, "Planning spaces", lambda s: f"{s.course_url}/spaces/")
page("space", 30, "Space home", lambda s: f"{s.space_url}/")
page("members", 32, "Space members", lambda s: f"{s.space_url}/members")
page("templates", 34, "Space templates", lambda s: f"{s.space_url}/templates")
page("new-plan", 36, "New plan (templates)", lambda s: f"{s.space_url}/plans/new")
page("plan", 40, "Plan page", lambda s: s.plan_url)
page("edit", 42, "Plan editor", lambda s: f"{s.plan_url}/edit")
page("history", 44, "Plan history", lambda s: f"{s.plan_url}/history")
page("revision", 46, "Plan revision", lambda s: f"{s.plan_url}/history/{s.ids['version']}")
page("print", 48, "Plan print view", lambda s: f"{s.plan_url}/print")
page("export", 49, "Plan export (Markdown)", lambda s: f"{s.plan_url}/export.md")
page("tasks", 60, "My tasks", lambda s: f"{s.course_url}/tasks/")
page("new-task", 62, "New task", lambda s: f"{s.course_url}/tasks/new?on=plan:{s.ids['plan']}")
page("search", 70, "Search (a common word)", lambda s: f"{s.course_url}/search?q={SEARCH_WORD}")
page("observations", 80, "Observations (the course's list)",
     lambda s: f"{s.course_url}/observations/")
page("observation", 82, "Observation (shared, reflected on)",
     lambda s: f"{s.course_url}/observations/{s.ids['observation']}")
page("lesson-form", 84, "Observation lesson form",
     lambda s: f"{s.course_url}/observations/{s.ids['lesson']}/lesson")
page("notes", 90, "Notes: the class list", lambda s: f"{s.course_url}/notes/")
page("learner", 92, "Notes: a learner's profile",
     lambda s: f"{s.course_url}/notes/learners/{s.ids['learner']}",
     writes="reading notes is audited: one INSERT of the notes shown, before the page is sent")


# --- building a school ------------------------------------------------------------------------


class FreshContextClient(FlaskClient):
    """Each request in its own application context, as in production (no ``g`` or
    database session carried from one request to the next)."""

    def open(self, *args: Any, **kwargs: Any):  # type: ignore[no-untyped-def]
        with self.application.app_context():
            return super().open(*args, **kwargs)


APPLICATION_NAME = "staffroom-bench-pages"  # how its PostgreSQL backends are found


def app_config(database_url: str, instance_path: str) -> dict[str, Any]:
    """The tool as production runs it, but in-process: development mode with every value
    given, the in-process cache (no Redis on the page path), no practice LMS."""
    engine: dict[str, Any] = {"hide_parameters": True}
    if database_url.startswith("postgresql"):
        engine["connect_args"] = {"application_name": APPLICATION_NAME}
    return {
        "SQLALCHEMY_ENGINE_OPTIONS": engine,
        "ENV_NAME": "development",
        "DEMO_MODE": False,
        "SECRET_KEY": secrets.token_urlsafe(48),
        "PUBLIC_BASE_URL": TOOL_BASE,
        "SERVER_NAME": TOOL_BASE.removeprefix("https://"),
        "PREFERRED_URL_SCHEME": "https",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": "",
        "RATELIMIT_STORAGE_URI": "memory://",
        "CACHE_PREFIX": f"staffroom-bench-pages-{secrets.token_hex(4)}:",
        "INSTANCE_PATH": instance_path,
        "LOG_LEVEL": "WARNING",
    }


def build_school(app: Flask, scale: Scale, *, tag: str = "s",
                 progress: Callable[[str], None] | None = None) -> School:
    """Register an LMS for the school with ``app`` and run every seeder, in order."""
    app.test_client_class = FreshContextClient
    lms = SchoolLms(app.config["PUBLIC_BASE_URL"])
    school = School(app=app, scale=scale, lms=lms, tag=tag)
    school.platform_id = lms.register(app)
    for entry in sorted(SEEDERS.values(), key=lambda e: (e.order, e.name)):
        started = time.perf_counter()
        entry.seed(school)
        if progress:
            progress(f"  seeded {entry.name} in {time.perf_counter() - started:.1f} s")
    return school


# --- measuring ------------------------------------------------------------------------------


WRITE_VERBS = {"INSERT", "UPDATE", "DELETE"}


@dataclass
class PageResult:
    name: str
    label: str
    url: str
    statuses: list[int] = field(default_factory=list)
    wall_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)  # this process (the tool)
    db_cpu_ms: list[float] = field(default_factory=list)  # PostgreSQL's backends, if known
    statements: list[int] = field(default_factory=list)
    writes: list[int] = field(default_factory=list)
    after: list[int] = field(default_factory=list)  # statements run after the response
    html_bytes: int = 0

    @property
    def p50(self) -> float:
        return percentile(self.wall_ms, 50)

    @property
    def p95(self) -> float:
        return percentile(self.wall_ms, 95)

    @property
    def cpu_p50(self) -> float:
        return percentile(self.cpu_ms, 50)

    @property
    def db_cpu_mean(self) -> float:
        """The database's CPU per request: a mean, the kernel counts it in 10 ms ticks."""
        return sum(self.db_cpu_ms) / len(self.db_cpu_ms) if self.db_cpu_ms else 0.0

    @property
    def sql(self) -> int:
        """The statement count (the largest seen: a count that varies is itself a finding)."""
        return max(self.statements, default=0)

    @property
    def ok(self) -> bool:
        return bool(self.statuses) and all(s == 200 for s in self.statuses)

    def summary(self) -> dict[str, Any]:
        return {
            "label": self.label, "url": self.url, "ok": self.ok,
            "statuses": sorted(set(self.statuses)),
            "p50_ms": round(self.p50, 2), "p95_ms": round(self.p95, 2),
            "cpu_p50_ms": round(self.cpu_p50, 2), "db_cpu_mean_ms": round(self.db_cpu_mean, 2),
            "statements": self.sql, "statements_seen": sorted(set(self.statements)),
            "writes": max(self.writes, default=0), "after_response": max(self.after, default=0),
            "html_bytes": self.html_bytes, "requests": len(self.wall_ms),
        }


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.4999)))
    return ordered[rank - 1]


@contextmanager
def recording(app: Flask) -> Iterator[list[str]]:
    """Every SQL statement the app's engine sends while the block runs."""
    import sqlalchemy as sa

    from lti_tool.extensions import db

    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]  # noqa: ANN001
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def _backends(app: Flask) -> list[int]:
    """The PostgreSQL backends serving this benchmark's connections (none on SQLite)."""
    import sqlalchemy as sa

    from lti_tool.extensions import db

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return []
        with db.engine.connect() as conn:
            return list(conn.execute(sa.text(
                "SELECT pid FROM pg_stat_activity WHERE application_name = :name "
                "AND datname = current_database()"), {"name": APPLICATION_NAME}).scalars())


TICK_MS = 1000 / os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 10.0


def _cpu_ms(pids: list[int]) -> float:
    """User and system CPU the processes used so far (Linux's /proc; 0 elsewhere)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total * TICK_MS


def _refresh_worker_memos(app: Flask) -> None:
    """Refill, between rounds, the origins allowed to frame the tool (every page's CSP
    header), which the tool reads from the database once a minute: whichever page came
    after the expiry would otherwise pay that statement and look as if its count varied."""
    from lti_tool.lti import frames

    with app.app_context():
        frames.invalidate_frame_ancestors()
        frames.frame_ancestors()


def measure(school: School, *, repeats: int, warmup: int = 3,
            pages: list[Page] | None = None) -> dict[str, PageResult]:
    """Open every page ``warmup`` times, then ``repeats`` rounds of every page in turn.

    Rounds interleave the pages, so that a machine whose speed drifts during the run
    weighs on every page alike. The time is the request's, up to its last byte; what
    the response runs after it was sent (``call_on_close``) is counted apart.
    """
    client = school.client
    assert client is not None, "the sign-in seeder did not run"
    chosen = pages if pages is not None else sorted(PAGES.values(), key=lambda p: p.order)
    results = {p.name: PageResult(p.name, p.label, p.url(school)) for p in chosen}
    with recording(school.app) as statements:
        for round_ in range(warmup + repeats):
            backends = _backends(school.app)
            _refresh_worker_memos(school.app)
            for p in chosen:
                result = results[p.name]
                if p.before is not None:
                    p.before(school)
                statements.clear()
                db_cpu = _cpu_ms(backends)
                cpu, wall = time.process_time(), time.perf_counter()
                response = client.get(result.url)
                body = response.get_data()
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                db_cpu = _cpu_ms(backends) - db_cpu
                on_path = list(statements)
                statements.clear()
                response.close()  # the server has sent it: what it defers runs now
                if round_ < warmup:
                    continue
                result.statuses.append(response.status_code)
                result.wall_ms.append(wall * 1000)
                result.cpu_ms.append(cpu * 1000)
                if backends:
                    result.db_cpu_ms.append(db_cpu)
                result.statements.append(len(on_path))
                result.writes.append(sum(
                    1 for s in on_path if s.lstrip().split(None, 1)[0].upper() in WRITE_VERBS))
                result.after.append(len(statements))
                result.html_bytes = len(body)
    return results


# --- one database, one size ---------------------------------------------------------------------


def load_average() -> tuple[float, float, float]:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return (0.0, 0.0, 0.0)
    return (round(one, 2), round(five, 2), round(fifteen, 2))


@dataclass
class Run:
    database: str
    size: str
    scale: dict[str, Any]
    seed_seconds: float
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    pages: dict[str, dict[str, Any]]


class BenchSetupError(RuntimeError):
    """The benchmark cannot run; the message says what to fix."""


def fresh_database(kind: str, postgres_url: str, workdir: Path, size: str) -> str:
    """An empty database for one run: a new SQLite file, or PostgreSQL's schema wiped."""
    if kind == "sqlite":
        return f"sqlite:///{workdir / f'pages-{size}.db'}"
    import sqlalchemy as sa

    name = postgres_url.rsplit("/", 1)[-1].split("?")[0]
    if not name.startswith("bench"):
        raise BenchSetupError(
            f"the page benchmark empties the PostgreSQL database it is given; {name!r} does "
            "not look like a scratch database: use one whose name starts with 'bench' "
            f"(for example {DEFAULT_POSTGRES_URL})")
    engine = sa.create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    return postgres_url


def postgres_problem(url: str) -> str | None:
    """Why PostgreSQL cannot be used at ``url``, or None when it can."""
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"),
                                  connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable", said plainly
        return f"{exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    return None


def run_one(kind: str, scale: Scale, *, postgres_url: str, workdir: Path, repeats: int,
            progress: Callable[[str], None]) -> Run:
    from flask_migrate import upgrade

    from lti_tool import create_app
    from lti_tool.extensions import db

    url = fresh_database(kind, postgres_url, workdir, scale.name)
    app = create_app(app_config(url, str(workdir / "instance")))
    with app.app_context():
        upgrade()
    progress(f"{kind}, {scale.name}: seeding {describe(scale)}")
    started = time.perf_counter()
    school = build_school(app, scale, progress=progress)
    seed_seconds = time.perf_counter() - started
    try:
        before = load_average()
        progress(f"{kind}, {scale.name}: measuring {len(PAGES)} pages × {repeats} "
                 f"(load average {before[0]})")
        results = measure(school, repeats=repeats)
        after = load_average()
    finally:
        school.lms.close()
        with app.app_context():
            db.engine.dispose()
    return Run(kind, scale.name, asdict(scale), round(seed_seconds, 1), before, after,
               {name: r.summary() for name, r in results.items()})


def describe(scale: Scale) -> str:
    return (f"{scale.learners} learners, {scale.teachers} teachers, {scale.plans} plans × "
            f"{scale.revisions} revisions, {scale.tasks} tasks, {scale.comments} comments, "
            f"{scale.observations} observations, {scale.notes} notes")


# --- report ------------------------------------------------------------------------------------


def statement_problems(runs: list[Run]) -> list[str]:
    """Pages whose statement count differs between sizes on one database, or within a run."""
    problems = []
    for kind in dict.fromkeys(r.database for r in runs):
        mine = [r for r in runs if r.database == kind]
        for name in mine[0].pages:
            counts = {r.size: r.pages[name]["statements"] for r in mine if name in r.pages}
            seen = {s for r in mine for s in r.pages[name]["statements_seen"]}
            if len(set(counts.values())) > 1 or len(seen) > 1:
                problems.append(f"{kind} {name}: statements {counts} (seen {sorted(seen)})")
    return problems


def table(runs: list[Run]) -> str:
    """One Markdown table: a row per database and page, the sizes side by side."""
    sizes = list(dict.fromkeys(r.size for r in runs))
    head = ["database", "page"]
    for size in sizes:
        head += [f"{size} p50 ms", f"{size} p95 ms", f"{size} CPU ms", f"{size} SQL",
                 f"{size} KB"]
    head += ["writes", "after", "p95 ≤ 50"]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for kind in dict.fromkeys(r.database for r in runs):
        by_size = {r.size: r for r in runs if r.database == kind}
        for name in next(iter(by_size.values())).pages:
            row = [kind, name]
            for size in sizes:
                got = by_size.get(size)
                if got is None or name not in got.pages:
                    row += ["", "", "", "", ""]
                    continue
                p = got.pages[name]
                sql = str(p["statements"]) + ("" if len(p["statements_seen"]) == 1
                                              else f" ({'/'.join(map(str, p['statements_seen']))})")
                mark = "" if p["ok"] else f" (HTTP {p['statuses']})"
                cpu = p["cpu_p50_ms"] + p.get("db_cpu_mean_ms", 0.0)
                row += [f"{p['p50_ms']:.1f}", f"{p['p95_ms']:.1f}{mark}", f"{cpu:.1f}", sql,
                        f"{p['html_bytes'] / 1024:.1f}"]
            largest = by_size[sizes[-1]] if sizes[-1] in by_size else next(iter(by_size.values()))
            p = largest.pages[name]
            row += [str(p["writes"]), str(p["after_response"]),
                    "yes" if p["p95_ms"] <= TARGET_P95_MS else "**no**"]
            lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


COLUMNS = (
    "p50, p95: the request's wall time in this process, up to its last byte (on a busy "
    "machine it includes waiting for a CPU). CPU: this process's CPU for the request "
    "(median), plus on PostgreSQL its server processes' CPU (mean; the kernel counts it in "
    "10 ms ticks), the figure least moved by other work on the machine. SQL: statements "
    "sent on the request path; writes: how many of them wrote; after: statements run "
    "after the response was sent (the visit, mentions seen). KB: the HTML."
)


def report(runs: list[Run], skipped: list[str]) -> str:
    lines = [f"Page benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
             f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}", ""]
    for r in runs:
        lines.append(f"- {r.database}, {r.size} ({describe(Scale(**r.scale))}): seeded in "
                     f"{r.seed_seconds:.0f} s; load average {r.load_before[0]} before, "
                     f"{r.load_after[0]} after measuring")
    lines += [f"- {s}" for s in skipped]
    lines += ["", table(runs), "", COLUMNS, ""]
    problems = statement_problems(runs)
    slow = [f"{r.database} {name}: p95 {p['p95_ms']:.1f} ms, CPU "
            f"{p['cpu_p50_ms'] + p.get('db_cpu_mean_ms', 0.0):.1f} ms (load {r.load_before[0]})"
            for r in runs if r.size == "full" for name, p in r.pages.items()
            if p["p95_ms"] > TARGET_P95_MS]
    failed = [f"{r.database} {r.size} {name}: HTTP {p['statuses']}"
              for r in runs for name, p in r.pages.items() if not p["ok"]]
    lines.append("Statement counts: " + ("equal at every size for every page."
                                         if not problems else "DIFFER: " + "; ".join(problems)))
    if not any(r.size == "full" for r in runs):
        lines.append("The full size was not measured.")
    else:
        lines.append(f"p95 over {TARGET_P95_MS:.0f} ms at the full size: "
                     + ("none." if not slow else "; ".join(slow)))
    if failed:
        lines.append("Pages that failed: " + "; ".join(failed))
    return "\n".join(lines)


# --- command line -----------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.pages",
        description="Seed a school at realistic sizes and measure every main page as a "
        "signed-in teacher: p50, p95, SQL statements, HTML size.")
    parser.add_argument("--sizes", default="tenth,full",
                        help="comma-separated sizes: tenth, full (default: tenth,full)")
    parser.add_argument("--databases", default="sqlite,postgresql",
                        help="comma-separated: sqlite, postgresql (default both; PostgreSQL "
                        "is skipped, with a note, when it cannot be reached)")
    parser.add_argument("--postgres-url",
                        default=os.environ.get("STAFFROOM_BENCH_PAGES_DATABASE_URL")
                        or DEFAULT_POSTGRES_URL,
                        help="a scratch PostgreSQL database whose name starts with 'bench'; "
                        "it is emptied before each size (default "
                        f"$STAFFROOM_BENCH_PAGES_DATABASE_URL or {DEFAULT_POSTGRES_URL})")
    parser.add_argument("--repeats", type=int, default=40,
                        help="measured requests per page (default 40), after 3 warm-up ones")
    parser.add_argument("--pages", default="",
                        help="comma-separated page names to measure (default: all)")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    for size in args.sizes.split(","):
        if size not in SIZES:
            parser.error(f"unknown size {size!r}: choose from {', '.join(SIZES)}")
    for kind in args.databases.split(","):
        if kind not in ("sqlite", "postgresql"):
            parser.error(f"unknown database {kind!r}: sqlite or postgresql")
    for name in filter(None, args.pages.split(",")):
        if name not in PAGES:
            parser.error(f"unknown page {name!r}: choose from {', '.join(PAGES)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.pages:
        wanted = set(args.pages.split(","))
        for name in list(PAGES):
            if name not in wanted:
                del PAGES[name]

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    runs: list[Run] = []
    skipped: list[str] = []
    kinds = args.databases.split(",")
    if "postgresql" in kinds and (problem := postgres_problem(args.postgres_url)):
        skipped.append(f"PostgreSQL skipped: {args.postgres_url} is not reachable ({problem})")
        kinds.remove("postgresql")
    try:
        with tempfile.TemporaryDirectory(prefix="staffroom-pages-") as tmp:
            for kind in kinds:
                for size in args.sizes.split(","):
                    runs.append(run_one(kind, SIZES[size], postgres_url=args.postgres_url,
                                        workdir=Path(tmp), repeats=args.repeats,
                                        progress=progress))
    except BenchSetupError as exc:
        print(f"bench-pages: {exc}", file=sys.stderr)
        return 2
    text = report(runs, skipped)
    print(text)
    args.results_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (args.results_dir / f"pages-{stamp}.md").write_text(text + "\n")
    (args.results_dir / f"pages-{stamp}.json").write_text(json.dumps(
        {"runs": [asdict(r) for r in runs], "skipped": skipped}, indent=2) + "\n")
    print(f"\nwritten to {args.results_dir / f'pages-{stamp}.md'} (and .json)")
    failed = statement_problems(runs) or any(
        not p["ok"] for r in runs for p in r.pages.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
