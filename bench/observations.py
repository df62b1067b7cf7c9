"""How fast a course's observation list answers with 1,000 observations, and in how many
SQL statements.

Usage::

    .venv/bin/python -m bench.observations [--observations 1000] [--requests 200]
                                           [--database-url URL]

In-process, like the tests: a throw-away SQLite database (or the PostgreSQL database
``--database-url`` names) built with the real migrations, one platform, one course
with a staff of eight, and ``--observations`` observations made through the services
as teachers make them (requested, accepted, started, notes and ratings saved,
shared, most of them reflected on). Then one teacher, with a session as a launch
leaves it, opens ``/courses/<id>/observations/`` ``--requests`` times through the
Flask test client; the benchmark prints p50 and p95 of those requests and the
number of SQL statements one request sends, which must not depend on the number of
observations (``tests/observations/test_statements.py`` asserts it on small data).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa

STAFF = (
    ("Amara", "Okafor"), ("Tomasz", "Nowak"), ("Priya", "Raman"), ("Sam", "Whitfield"),
    ("Lena", "Fischer"), ("Kofi", "Boateng"), ("Mei", "Lin"), ("Rosa", "Díaz"),
)
NOTE_TAGS = ("strength", "suggestion", "question", "note")


def observations(course: Any, count: int) -> list[int]:
    """``count`` observations among the course's active staff, made through the services.

    Pairs rotate through the staff; every observation is shared, two in three are
    reflected on (their next steps become tasks), one in five is closed.
    """
    from lti_tool.courses.models import Membership, Person
    from lti_tool.extensions import db
    from lti_tool.observations import services
    from lti_tool.observations.models import State

    staff = db.session.scalars(
        sa.select(Person).join(Membership, Membership.person_id == Person.id)
        .where(Membership.course_id == course.id, Membership.is_active_staff())
        .order_by(Person.id)).all()
    if len(staff) < 2:
        raise ValueError("the course needs two staff members at least")
    made = []
    for i in range(count):
        observee = staff[i % len(staff)]
        observer = staff[(i + 1 + i // len(staff)) % len(staff)]
        if observer.id == observee.id:
            observer = staff[(i + 1) % len(staff)]
        obs = started(course, observee, observer, i)
        keys = [r.criterion_key for r in obs.ratings]
        payload = {
            "notes": [{"key": f"n{i}-{k}", "tag": NOTE_TAGS[(i + k) % 4],
                       "body": f"Note {k} of lesson {i + 1}: learners explained their thinking",
                       "at": "2026-11-02T09:1{k}:00Z"} for k in range(3)],
            "ratings": {key: {"rating": str(1 + (i + n) % 4), "evidence": "Seen in pairs"}
                        for n, key in enumerate(keys)},
            "answers": {},
        }
        version = services.save_form(obs, observer, services.form_input(obs, payload),
                                     obs.version)
        obs = services.transition(obs, observer, State.SHARED, version)
        if i % 3:
            obs = services.save_reflection(obs, observee, "More wait time next lesson.",
                                           "Try think-pair-share", obs.version, submit=True)
        if i % 5 == 0 and obs.state == State.REFLECTED:
            obs = services.transition(obs, observee, State.CLOSED, obs.version)
        made.append(obs.id)
    return made


def started(course: Any, observee: Any, observer: Any, i: int = 0) -> Any:
    """An observation the observee asked for, accepted and started by the observer: the
    lesson form is open (through the services, as teachers do it)."""
    from lti_tool.observations import services
    from lti_tool.observations.models import State

    template = services.usable_templates(observee)[0]
    obs = services.request_observation(course, observee, services.RequestInput(
        as_role="observee", colleague_id=observer.id, template_id=template.template.id,
        lesson_title=f"Lesson {i + 1}: forces and motion", scheduled_on=date(2026, 11, 2),
        message="Could you look at my questioning?"))
    obs = services.transition(obs, observer, State.SCHEDULED, obs.version)
    return services.transition(obs, observer, State.IN_PROGRESS, obs.version)


def _world(app: Any) -> tuple[Any, Any]:
    """One platform, one course, eight staff members: rows, as launches would leave them."""
    from lti_tool.courses.models import Course, Membership, Person
    from lti_tool.extensions import db
    from lti_tool.lti.models import Deployment, Platform

    platform = Platform(name="Bench LMS", issuer="https://bench-lms.example", client_id="bench",
                        auth_login_url="https://bench-lms.example/auth",
                        auth_token_url="https://bench-lms.example/token",
                        key_set_url="https://bench-lms.example/jwks")
    platform.deployments = [Deployment(deployment_id="1")]
    db.session.add(platform)
    db.session.flush()
    course = Course(platform_id=platform.id, deployment_id=platform.deployments[0].id,
                    context_id="bench-science-8", label="SCI 8", title="Year 8 Science")
    db.session.add(course)
    db.session.flush()
    for n, (given, family) in enumerate(STAFF):
        person = Person(platform_id=platform.id, sub=f"bench-teacher-{n}",
                        name=f"{given} {family}", given_name=given, family_name=family)
        db.session.add(person)
        db.session.flush()
        db.session.add(Membership(course_id=course.id, person_id=person.id,
                                  roles="instructor", is_staff=True, active=True))
    db.session.commit()
    teacher = db.session.scalars(sa.select(Person).order_by(Person.id)).first()
    return course, teacher


def _session_client(app: Any, course: Any, person: Any) -> Any:
    """A test client whose session is the one a launch into the course leaves."""
    from lti_tool.courses.context import PERSON_KEY, SESSION_KEY, membership_key

    client = app.test_client()
    with client.session_transaction() as session:
        session[PERSON_KEY] = person.id
        session[SESSION_KEY] = {str(course.id): {
            "p": person.id, "k": membership_key(course.platform_id, person.sub,
                                                course.context_id),
            "at": int(time.time()), "l": "en_GB"}}
    return client


def migrated_app(tmp: str, database_url: str = "") -> Any:
    """The tool on a fresh database built with the real migrations: SQLite in ``tmp``, or
    the PostgreSQL database ``database_url`` names (emptied first)."""
    from flask_migrate import upgrade

    from lti_tool import create_app

    url = database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url,
                      "INSTANCE_PATH": tmp, "REDIS_URL": "", "SECRET_KEY": "bench-" * 8,
                      "SERVER_NAME": "tool.example.org", "PREFERRED_URL_SCHEME": "https"})
    with app.app_context():
        if database_url:
            from lti_tool.extensions import db

            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
    return app


def statements_of(client: Any, url: str) -> list[str]:
    """The SQL statements one GET of ``url`` sends."""
    from lti_tool.extensions import db

    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        client.get(url, base_url="https://tool.example.org")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    return statements


def measure(app: Any, count: int, requests: int) -> dict[str, Any]:
    from lti_tool.extensions import db

    with app.app_context():
        course, teacher = _world(app)
        started = time.perf_counter()
        observations(course, count)
        seeded = time.perf_counter() - started
        client = _session_client(app, course, teacher)
        url = f"/courses/{course.id}/observations/"
        first = client.get(url, base_url="https://tool.example.org")
        if first.status_code != 200:
            raise RuntimeError(f"the list answered {first.status_code}")
        statements = statements_of(client, url)
        times = []
        for _ in range(requests):
            start = time.perf_counter()
            resp = client.get(url, base_url="https://tool.example.org")
            times.append((time.perf_counter() - start) * 1000)
            if resp.status_code != 200:
                raise RuntimeError(f"the list answered {resp.status_code}")
        times.sort()
        shown = first.get_data(as_text=True).count('class="obs-title"')
        return {
            "observations": count, "listed_for_the_teacher": shown, "requests": requests,
            "seed_seconds": round(seeded, 1), "statements": len(statements),
            "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[min(len(times) - 1, int(len(times) * 0.95))], 1),
            "database": db.engine.dialect.name,
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--observations", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="staffroom-bench-") as tmp:
        app = migrated_app(tmp, args.database_url)
        result = measure(app, args.observations, args.requests)
    print(f"course observation list, {result['observations']} observations in the course "
          f"({result['listed_for_the_teacher']} listed for the teacher), "
          f"{result['database']}:")
    print(f"  {result['requests']} requests: p50 {result['p50_ms']} ms, "
          f"p95 {result['p95_ms']} ms")
    print(f"  SQL statements per request: {result['statements']}")
    print(f"  seeding through the services took {result['seed_seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
