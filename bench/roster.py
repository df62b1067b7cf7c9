"""A 10,000-member course roster synced from the LMS (NRPS): time, CPU and SQL statements.

Usage (``make bench-roster`` runs the defaults)::

    .venv/bin/python -m bench.roster [--members 10000] [--databases sqlite,postgresql]
                                     [--repeats 3] [--postgres-url URL]

For each database, a fresh database is built with the real migrations, a platform is
registered and a course created; the LMS runs **in a child process** on 127.0.0.1 (a
token endpoint and a membership container paged 100 members at a time with
``Link: rel="next"``), so that this process's CPU time is the tool's own: parsing the
pages, deciding what changed, and the database work (SQLite's included, as it runs
in-process; PostgreSQL's server processes are not counted). Then
:func:`lti_tool.courses.roster.sync_roster` runs four times:

* ``first``: every member is new (60 teachers, the rest learners);
* ``unchanged``: the same roster again, ``--repeats`` times (the median is shown);
* ``changed``: 1 % of the members change roles, 1 % leave, 1 % join;
* ``differences``: the same changes asked through the ``rel="differences"`` link.

The target is under 2 s of the tool's own CPU time for each sync, and at most three
SQL statements per roster page (plus a constant few per sync). The exit status is 1
when a sync sent more statements than that, 2 when the benchmark could not start,
else 0; times are figures to read, not tests to pass.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import sqlalchemy as sa

from bench.pages import (
    RESULTS_DIR,
    BenchSetupError,
    app_config,
    fresh_database,
    load_average,
    postgres_problem,
)

DEFAULT_POSTGRES_URL = "postgresql://127.0.0.1:5432/bench_roster"
TARGET_CPU_S = 2.0
STATEMENTS_PER_PAGE = 3
# What a sync may send besides its pages: the platform and the tool's key, the course's
# active members, those no longer listed, the member count, the course's sync state.
STATEMENTS_PER_SYNC = 6
TEACHERS = 60
LIS = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
ISSUER = "https://lms.roster-bench.test"


# --- the LMS, in its own process ------------------------------------------------------------


def roster(members: int, variant: str) -> list[dict[str, Any]]:
    """The course roster: ``base``, or ``changed`` (1 % change roles, 1 % leave, 1 % join)."""
    people = []
    every = 100
    for i in range(members + (members // every if variant != "base" else 0)):
        if variant != "base" and i < members and i % every == 1:
            continue  # left the course
        role = LIS + ("Instructor" if i < TEACHERS else "Learner")
        if variant != "base" and i % every == 2:
            role = LIS + "Mentor"  # changed roles
        people.append({
            "user_id": f"u-{i:06d}", "status": "Active", "roles": [role],
            "name": f"Person {i}", "given_name": "Person", "family_name": f"{i:06d}",
            "email": f"u{i}@school.bench.test",
        })
    return people


def differences(members: int) -> list[dict[str, Any]]:
    """What changed between ``base`` and ``changed``, as a differences answer lists it."""
    base = {m["user_id"]: m for m in roster(members, "base")}
    changed = {m["user_id"]: m for m in roster(members, "changed")}
    listed = [m for uid, m in changed.items() if base.get(uid) != m]
    listed += [{"user_id": uid, "status": "Deleted", "roles": base[uid]["roles"]}
               for uid in base if uid not in changed]
    return listed


def serve_lms(members: int, ports: Any) -> None:
    """The LMS's token endpoint and paged membership containers (run in a child process)."""
    from joserfc.jwk import RSAKey

    public = RSAKey.generate_key(2048).as_dict(private=False)
    jwks = {"keys": [public | {"kid": "roster-bench", "alg": "RS256", "use": "sig"}]}
    containers = {
        "/nrps/base": roster(members, "base"),
        "/nrps/changed": roster(members, "changed"),
        "/nrps/differences": differences(members),
    }

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body leave in separate writes: without this, Nagle's algorithm and
        # the client's delayed ACK add 40 ms to every page, which is not the tool's time.
        disable_nagle_algorithm = True

        def _send(self, body: Any, link: str | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if link:
                self.send_header("Link", link)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            parts = urlsplit(self.path)
            if parts.path == "/jwks.json":
                self._send(jwks)
                return
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            listed = containers.get(parts.path, [])
            limit, start = int(query.get("limit", 100)), int(query.get("from", 0))
            base = f"http://127.0.0.1:{self.server.server_address[1]}{parts.path}"
            links = [f'<http://127.0.0.1:{self.server.server_address[1]}/nrps/differences>; '
                     'rel="differences"']
            if start + limit < len(listed):
                links.append(f'<{base}?limit={limit}&from={start + limit}>; rel="next"')
            self._send({"id": base, "members": listed[start:start + limit]}, ", ".join(links))

        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self._send({"access_token": "bench-token", "token_type": "Bearer",
                        "expires_in": 3600})

        def log_message(self, *args: Any) -> None:
            return

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ports.put(httpd.server_address[1])
    httpd.serve_forever()


# --- measuring ------------------------------------------------------------------------------


@dataclass
class Sync:
    scenario: str
    wall_s: float
    cpu_s: float
    statements: int
    pages: int
    added: int
    updated: int
    deactivated: int
    unchanged: int

    @property
    def statement_budget(self) -> int:
        return STATEMENTS_PER_PAGE * self.pages + STATEMENTS_PER_SYNC


def measure_sync(app: Any, course_id: int, scenario: str, url: str, *,
                 differences_url: str | None, members: int) -> Sync:
    from lti_tool.courses import roster as roster_sync
    from lti_tool.courses.models import Course
    from lti_tool.extensions import db

    statements: list[str] = []

    def record(conn, cursor, statement, *args: Any) -> None:  # noqa: ANN001
        statements.append(statement)

    with app.app_context():
        course = db.session.get(Course, course_id)
        course.nrps_url = url
        course.roster_differences_url = differences_url
        db.session.commit()
        course = db.session.get(Course, course_id)
        sa.event.listen(db.engine, "before_cursor_execute", record)
        try:
            cpu, wall = time.process_time(), time.perf_counter()
            result = roster_sync.sync_roster(course)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", record)
        db.session.remove()
    listed = members if differences_url is None else len(differences(members))
    pages = -(-listed // roster_sync.PAGE_SIZE)
    return Sync(scenario, round(wall, 3), round(cpu, 3), len(statements), pages,
                result.added, result.updated, result.deactivated, result.unchanged)


def run_one(kind: str, *, members: int, repeats: int, postgres_url: str, workdir: Path,
            progress: Callable[[str], None]) -> list[Sync]:
    from flask_migrate import upgrade

    from lti_tool import create_app
    from lti_tool.courses.models import Course
    from lti_tool.extensions import db
    from lti_tool.lti import keys
    from lti_tool.lti.registrations import PlatformData, create_platform

    url = fresh_database(kind, postgres_url, workdir, "roster")
    app = create_app(app_config(url, str(workdir / "instance")))
    ports: Any = multiprocessing.get_context("fork").Queue()
    lms = multiprocessing.get_context("fork").Process(
        target=serve_lms, args=(members, ports), daemon=True)
    lms.start()
    try:
        base = f"http://127.0.0.1:{ports.get(timeout=30)}"
        with app.app_context():
            upgrade()
            keys.ensure_key()
            platform = create_platform(
                PlatformData(name="Roster bench LMS", issuer=ISSUER, client_id="roster-bench",
                             auth_login_url=ISSUER + "/auth", auth_token_url=base + "/token",
                             key_set_url=base + "/jwks.json"),
                ["bench-deployment"],
            )
            course = Course(platform_id=platform.id, context_id="big-course",
                            title="A very large course")
            db.session.add(course)
            db.session.commit()
            course_id = course.id
            db.session.remove()
        progress(f"{kind}: syncing a roster of {members:,} members")
        runs = [measure_sync(app, course_id, "first", base + "/nrps/base",
                             differences_url=None, members=members)]
        if kind == "postgresql":
            # What autovacuum does within a minute of 10,000 new rows: without statistics
            # the planner takes the tables for empty and reads a course's every membership
            # for each page (see bench/README.md). Later syncs meet a table it has analyzed.
            with app.app_context(), db.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(
                    sa.text("ANALYZE person; ANALYZE membership"))
        again = [measure_sync(app, course_id, "unchanged", base + "/nrps/base",
                              differences_url=None, members=members) for _ in range(repeats)]
        runs.append(sorted(again, key=lambda s: s.cpu_s)[len(again) // 2])
        runs.append(measure_sync(app, course_id, "changed", base + "/nrps/changed",
                                 differences_url=None, members=members))
        # Back to the base roster, then the same changes through the differences link.
        measure_sync(app, course_id, "reset", base + "/nrps/base", differences_url=None,
                     members=members)
        runs.append(measure_sync(app, course_id, "differences", base + "/nrps/changed",
                                 differences_url=base + "/nrps/differences", members=members))
        with app.app_context():
            db.engine.dispose()
        return runs
    finally:
        lms.terminate()
        lms.join(5)


def table(results: dict[str, list[Sync]]) -> str:
    lines = [
        "| database | sync | pages | added | updated | deactivated | unchanged | wall s | "
        "tool CPU s | SQL | SQL budget | CPU < 2 s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for kind, runs in results.items():
        for s in runs:
            lines.append(
                f"| {kind} | {s.scenario} | {s.pages} | {s.added} | {s.updated} | "
                f"{s.deactivated} | {s.unchanged} | {s.wall_s:.2f} | {s.cpu_s:.2f} | "
                f"{s.statements} | {s.statement_budget} | "
                f"{'yes' if s.cpu_s < TARGET_CPU_S else 'no'} |")
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    kinds = [k.strip() for k in args.databases.split(",") if k.strip()]
    if "postgresql" in kinds and (problem := postgres_problem(args.postgres_url)):
        print(f"PostgreSQL at {args.postgres_url} cannot be used: {problem}", file=sys.stderr)
        return 2
    results: dict[str, list[Sync]] = {}
    load = {"before": load_average()}
    with tempfile.TemporaryDirectory(prefix="staffroom-bench-roster-") as tmp:
        for kind in kinds:
            try:
                results[kind] = run_one(kind, members=args.members, repeats=args.repeats,
                                        postgres_url=args.postgres_url, workdir=Path(tmp),
                                        progress=lambda m: print(m, file=sys.stderr))
            except BenchSetupError as exc:
                print(str(exc), file=sys.stderr)
                return 2
    load["after"] = load_average()
    text = table(results)
    print(text)
    print(f"\nload average before {load['before']}, after {load['after']}")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    (RESULTS_DIR / f"roster-{stamp}.md").write_text(text + "\n")
    (RESULTS_DIR / f"roster-{stamp}.json").write_text(json.dumps(
        {"members": args.members, "load": load,
         "results": {k: [asdict(s) for s in v] for k, v in results.items()}}, indent=2))
    over = [f"{k} {s.scenario}: {s.statements} statements > {s.statement_budget}"
            for k, runs in results.items() for s in runs if s.statements > s.statement_budget]
    for line in over:
        print(line, file=sys.stderr)
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
