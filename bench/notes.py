"""How fast a course's class list answers for 1,000 learners holding 20,000 notes, and in
how many SQL statements.

Usage::

    .venv/bin/python -m bench.notes [--learners 1000] [--notes 20000] [--requests 200]
                                    [--database-url URL]

In-process, like the tests: a throw-away SQLite database (or the PostgreSQL database
``--database-url`` names, emptied first) built with the real migrations; one platform,
the course of :mod:`bench.observations` (a staff of eight) with ``--learners`` learners,
and a second course that shares half of them with two of its teachers. ``--notes`` notes
are written through :func:`lti_tool.notes.services.create_notes` as teachers write them
(one note about many learners at once): every category and visibility, one in ten a key
note, one in five with a follow-up. Then one teacher, with a session as a launch leaves
it, opens ``/courses/<id>/notes/`` (and the "no note this term" filter, and a learner's
profile) ``--requests`` times each through the Flask test client; the benchmark prints
p50 and p95 of each and the SQL statements one request sends, which must not depend on
the number of learners or notes (``tests/notes/test_statements.py`` asserts it on small
data), and this process's CPU per request (on SQLite, the query's too): the figure a busy
machine moves least.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from bench.observations import _session_client, _world, migrated_app, statements_of

CATEGORIES = ("academic", "strength", "celebration", "attendance", "family", "support",
              "wellbeing")
VISIBILITIES = ("our", "our", "our", "course", "me")


def write_notes(course: Any, staff: list[Any], people: list[Any], notes: int,
                first_batch: int = 0) -> int:
    """``notes`` notes about ``people`` in ``course`` by its ``staff``, written through
    :func:`lti_tool.notes.services.create_notes` a class at a time (as after a group
    activity): categories, visibilities, key notes and follow-ups in rotation. Returns the
    next batch number, so that later calls carry on the rotation."""
    from lti_tool.notes import services

    written, batch = 0, first_batch
    while written < notes:
        size = min(len(people), notes - written)
        start = (batch * 137) % len(people)
        chosen = (people[start:] + people[:start])[:size]
        author = staff[batch % len(staff)]
        data = services.NoteInput(
            category=CATEGORIES[batch % len(CATEGORIES)],
            body=f"Batch {batch}: worked well with a partner; check the **homework** log.",
            visibility=VISIBILITIES[batch % len(VISIBILITIES)], is_key=batch % 10 == 0,
            follow_up="Check in next week" if batch % 5 == 0 else "",
            follow_up_owner_id=author.id if batch % 5 == 0 else None)
        services.create_notes(course, author, chosen, data)
        written += size
        batch += 1
    return batch


def last_term(people: list[Any]) -> None:
    """These learners' notes were written last term: they have none this term."""
    from lti_tool.db import utcnow
    from lti_tool.extensions import db
    from lti_tool.notes.models import LearnerNote

    db.session.execute(sa.update(LearnerNote).where(
        LearnerNote.learner_id.in_([p.id for p in people]))
        .values(created_at=utcnow() - timedelta(days=400)))
    db.session.commit()


def seed(course: Any, learners: int, notes: int) -> None:
    from lti_tool.courses.models import Course, Membership, Person
    from lti_tool.extensions import db

    staff = db.session.scalars(
        sa.select(Person).join(Membership, Membership.person_id == Person.id)
        .where(Membership.course_id == course.id).order_by(Person.id)).all()
    other = Course(platform_id=course.platform_id, deployment_id=course.deployment_id,
                   context_id="bench-history-8", label="HIS 8", title="Year 8 History")
    db.session.add(other)
    db.session.flush()
    for teacher in staff[-2:]:
        db.session.add(Membership(course_id=other.id, person_id=teacher.id, roles="instructor",
                                  is_staff=True, active=True))
    people = [Person(platform_id=course.platform_id, sub=f"bench-learner-{n}",
                     name=f"Learner {n:04d}", given_name="Learner", family_name=f"{n:04d}")
              for n in range(learners)]
    db.session.add_all(people)
    db.session.flush()
    db.session.add_all(Membership(course_id=course.id, person_id=p.id, roles="learner",
                                  is_learner=True, active=True) for p in people)
    db.session.add_all(Membership(course_id=other.id, person_id=p.id, roles="learner",
                                  is_learner=True, active=True) for p in people[::2])
    db.session.commit()
    write_notes(course, staff, people, notes)
    last_term(people[-learners // 10:])
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))


def _timed(client: Any, url: str, requests: int) -> dict[str, Any]:
    first = client.get(url, base_url="https://tool.example.org")
    if first.status_code != 200:
        raise RuntimeError(f"{url} answered {first.status_code}")
    statements = statements_of(client, url)
    times, cpu = [], []
    for _ in range(requests):
        start, start_cpu = time.perf_counter(), time.process_time()
        resp = client.get(url, base_url="https://tool.example.org")
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        if resp.status_code != 200:
            raise RuntimeError(f"{url} answered {resp.status_code}")

    def p95(values: list[float]) -> float:
        return round(sorted(values)[min(len(values) - 1, int(len(values) * 0.95))], 1)

    return {"statements": len(statements), "p50_ms": round(statistics.median(times), 1),
            "p95_ms": p95(times), "cpu_p50_ms": round(statistics.median(cpu), 1),
            "cpu_p95_ms": p95(cpu)}


def measure(app: Any, learners: int, notes: int, requests: int) -> dict[str, Any]:
    from lti_tool.courses.models import Membership
    from lti_tool.extensions import db

    with app.app_context():
        course, teacher = _world(app)
        started = time.perf_counter()
        seed(course, learners, notes)
        seeded = time.perf_counter() - started
        learner_id = db.session.scalar(sa.select(Membership.person_id).where(
            Membership.course_id == course.id, Membership.is_learner.is_(True))
            .order_by(Membership.id))
        client = _session_client(app, course, teacher)
        base = f"/courses/{course.id}/notes"
        pages = {"class list": base + "/", "no note this term": base + "/?show=none_this_term",
                 "learner profile": f"{base}/learners/{learner_id}"}
        results = {name: _timed(client, url, requests) for name, url in pages.items()}
        return {"learners": learners, "notes": notes, "requests": requests,
                "seed_seconds": round(seeded, 1), "pages": results,
                "database": db.engine.dialect.name}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--learners", type=int, default=1000)
    parser.add_argument("--notes", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="staffroom-bench-") as tmp:
        app = migrated_app(tmp, args.database_url)
        result = measure(app, args.learners, args.notes, args.requests)
    print(f"notes, {result['learners']} learners in the course, {result['notes']} notes, "
          f"{result['database']} (seeded through the services in {result['seed_seconds']} s):")
    for name, figures in result["pages"].items():
        print(f"  {name}: {result['requests']} requests, p50 {figures['p50_ms']} ms, "
              f"p95 {figures['p95_ms']} ms (this process's CPU: p50 {figures['cpu_p50_ms']} "
              f"ms, p95 {figures['cpu_p95_ms']} ms), {figures['statements']} SQL statements")
    print(f"  load average at the end: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
