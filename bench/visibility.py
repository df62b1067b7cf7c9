"""A/B, in one run: the shared blocks' visibility filter asked as ``IN`` or as ``EXISTS``.

Usage::

    .venv/bin/python -m bench.visibility [--databases sqlite,postgresql] [--rounds 40]
                                         [--postgres-url postgresql://127.0.0.1:5432/bench_pages]

Tasks, comments and search results refer to any feature's object by kind and id; the
filter that keeps only those a person may see (``lti_tool.courses.registry.visible``)
asks each kind's rule. It used to ask ``subject_id IN (every object of the kind this
person may see)``, which SQLite computes in full on every query: every note about every
learner the teacher shares, at a school's size. It now asks ``EXISTS`` of the row's own
object, by primary key.

This fills the page benchmark's full-size school once per database (``bench.pages``),
then runs the statements of "My tasks" (open and done) and of "What's new" (open tasks)
for the measured teacher, with the old and the new filter in alternating rounds (the
order swapped each round), and prints each variant's median, p95 and fastest time, and
that both return the same rows. It changes nothing in the tool.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench import pages

ROUNDS = 40


def in_filter(kind_column: Any, id_column: Any, person_id: Any, platform_id: Any) -> Any:
    """The filter as it was: ``IN`` the whole set of visible objects of each kind."""
    from lti_tool.courses import registry

    return sa.or_(*(
        sa.and_(kind_column == k.name,
                id_column.in_(registry.visible_ids(k, person_id, platform_id)))
        for k in registry.kinds()
    ))


def exists_filter(kind_column: Any, id_column: Any, person_id: Any, platform_id: Any) -> Any:
    from lti_tool.courses import registry

    return registry.visible(kind_column, id_column, person_id, platform_id)


def statements(person: Any, visible: Any) -> list[sa.Select]:
    """The task statements of "My tasks" and "What's new", with ``visible`` as the filter."""
    from lti_tool.tasks import services
    from lti_tool.tasks.models import Task, TaskStatus

    mine = sa.and_(Task.owner_id == person.id,
                   visible(Task.subject_kind, Task.subject_id, person.id, person.platform_id))
    rows = services._rows_statement()  # noqa: SLF001 - the pages' own statement
    return [
        rows.add_columns(sa.func.count().over()).where(mine, Task.status != TaskStatus.DONE)
        .order_by(*services._OPEN_ORDER).limit(services.OPEN_SHOWN),  # noqa: SLF001
        rows.where(mine, Task.status == TaskStatus.DONE)
        .order_by(Task.completed_at.desc(), Task.id.desc()).limit(services.DONE_SHOWN),
        rows.where(mine, Task.status != TaskStatus.DONE)
        .order_by(*services._OPEN_ORDER).limit(10),  # noqa: SLF001
    ]


def run(kind: str, postgres_url: str, rounds: int, workdir: Path) -> dict[str, Any]:
    from flask_migrate import upgrade

    from lti_tool import create_app
    from lti_tool.extensions import db

    url = pages.fresh_database(kind, postgres_url, workdir, "full")
    app = create_app(pages.app_config(url, str(workdir / "instance")))
    with app.app_context():
        upgrade()
    print(f"{kind}: seeding the full-size school", file=sys.stderr)
    school = pages.build_school(app, pages.FULL)
    times: dict[str, list[float]] = {"IN": [], "EXISTS": []}
    try:
        with app.app_context():
            person = school.person(0)
            variants = {"IN": statements(person, in_filter),
                        "EXISTS": statements(person, exists_filter)}
            answers = {name: [db.session.execute(s).all() for s in stmts]
                       for name, stmts in variants.items()}
            same = answers["IN"] == answers["EXISTS"]
            for round_ in range(rounds + 3):
                order = ["IN", "EXISTS"] if round_ % 2 == 0 else ["EXISTS", "IN"]
                for name in order:
                    started = time.perf_counter()
                    for statement in variants[name]:
                        db.session.execute(statement).all()
                    if round_ >= 3:  # three warm-up rounds
                        times[name].append((time.perf_counter() - started) * 1000)
    finally:
        school.lms.close()
        with app.app_context():
            db.engine.dispose()
    return {"database": kind, "same rows": same, "rows": [len(a) for a in answers["IN"]],
            **{name: summary(values) for name, values in times.items()}}


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (f"median {statistics.median(ordered):.2f} ms, p95 {p95:.2f} ms, "
            f"fastest {ordered[0]:.2f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--postgres-url", default=pages.DEFAULT_POSTGRES_URL)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="staffroom-visibility-") as tmp:
        for kind in args.databases.split(","):
            if kind == "postgresql" and pages.postgres_problem(args.postgres_url):
                print(f"postgresql: skipped ({pages.postgres_problem(args.postgres_url)})")
                continue
            result = run(kind, args.postgres_url, args.rounds, Path(tmp))
            print(" | ".join(f"{k}: {v}" for k, v in result.items()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
