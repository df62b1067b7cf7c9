"""Complete LTI launches per second against the real server, next to a bare Flask route.

Usage (``make bench`` runs the defaults)::

    .venv/bin/python -m bench.launches [--users 50] [--duration 20] [--workers 2]
                                       [--threads N] [--port 0] [--database-url URL]

It starts a throw-away instance under gunicorn on 127.0.0.1 (Redis for launch
state, a fresh SQLite file unless ``--database-url`` names PostgreSQL), runs
``--users`` concurrent users against ``/healthz`` and then through complete
launches (login -> signed id_token -> launch answered with the landing page) for
``--duration`` seconds each, and prints the ratio of the two throughputs.

A launch costs several round trips and real work (a key lookup, an RS256
check, single-use state and nonce in Redis, three upserts, a signed session, a
rendered page); the target is that it costs at most five bare requests, a
ratio of 0.2 or more. The exit status is 1 when a launch or request failed or
the platform's key set was fetched more than once: those are faults, whereas
the speed is a figure to read, not a test to pass.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.load import (
    PhaseResult,
    bare_iteration,
    launch_iteration,
    merge_phases,
    percentile,
    run_phase,
)
from bench.platform import BenchPlatform, KeySetServer
from bench.server import (
    DEFAULT_REDIS_URL,
    ROOT,
    BenchSetupError,
    check_redis,
    delete_redis_prefix,
    gunicorn,
    new_config,
    prepare_instance,
    production_threads,
    remove_registration,
)

RESULTS_DIR = ROOT / "bench" / "results"
TARGET_RATIO = 0.2
MAX_KEY_SET_FETCHES = 1
WARM_UP_SECONDS = 1.0
LOG_TAIL_LINES = 30
SINGULAR = {"requests": "request", "launches": "launch"}


@dataclass(frozen=True)
class Options:
    users: int
    duration: float
    workers: int
    threads: int
    port: int
    database_url: str | None
    redis_url: str
    teachers: int
    courses: int
    results_dir: Path
    rounds: int = 4


def parse_args(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench.launches",
        description="Complete LTI launches per second and p95 latency under concurrent "
        "load, next to a bare Flask route on the same gunicorn server.",
    )
    parser.add_argument("--users", type=int, default=50, help="concurrent users (default 50)")
    parser.add_argument(
        "--duration", type=float, default=20.0, help="seconds per phase (default 20)"
    )
    parser.add_argument(
        "--rounds", type=int, default=4,
        help="split each phase into this many slices, run bare and launch slices in turn, "
        "so that a machine whose speed drifts during the run weighs on both alike "
        "(default 4)",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument(
        "--threads", type=int, default=None,
        help="threads per gunicorn worker (default: as config/gunicorn.conf.py, gthread); "
        "1 runs gunicorn's sync worker instead",
    )
    parser.add_argument(
        "--port", type=int, default=0, help="port on 127.0.0.1 (default 0: a free one)"
    )
    parser.add_argument(
        "--database-url", default=None,
        help="a scratch PostgreSQL database (default: a fresh SQLite file in a temporary "
        "folder); the run adds one platform and removes it and its rows afterwards",
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL,
        help=f"Redis for launch state (default $REDIS_URL or {DEFAULT_REDIS_URL}); the run "
        "uses a key prefix of its own and deletes its keys afterwards",
    )
    parser.add_argument(
        "--teachers", type=int, default=500, help="distinct teachers (default 500)"
    )
    parser.add_argument(
        "--courses", type=int, default=100,
        help="courses they teach in (default 100: a course team of 5, as a teacher, "
        "co-teachers and assistants; the landing page lists the team, so fewer courses "
        "make a longer page)",
    )
    parser.add_argument(
        "--results-dir", type=Path, default=RESULTS_DIR,
        help="where the JSON figures go (default bench/results/)",
    )
    args = parser.parse_args(argv)
    if args.threads is None:
        args.threads = production_threads()
    for name in ("users", "workers", "threads", "teachers", "courses", "rounds"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.duration <= 0:
        parser.error("--duration must be more than 0 seconds")
    if not 0 <= args.port < 65536:
        parser.error("--port must be between 0 and 65535")
    return Options(
        users=args.users, duration=args.duration, workers=args.workers, threads=args.threads,
        port=args.port, database_url=args.database_url, redis_url=args.redis_url,
        teachers=args.teachers, courses=args.courses, results_dir=args.results_dir,
        rounds=args.rounds,
    )


def run(options: Options) -> dict[str, Any]:
    """Set up, measure both phases, tear down; return the figures."""
    check_redis(options.redis_url)
    load_before = load_average()
    if load_before is not None and load_before > 0.5 * (os.cpu_count() or 1):
        print(f"warning: the machine is already busy (load average {load_before:.1f} on "
              f"{os.cpu_count()} CPUs); the figures will be lower and noisier", flush=True)
    run_id = secrets.token_hex(4)
    with tempfile.TemporaryDirectory(prefix="staffroom-bench-") as tmp:
        workdir = Path(tmp)
        config = new_config(options.port, options.database_url, options.redis_url, workdir)
        platform = BenchPlatform(
            issuer="https://lms.bench.invalid",
            client_id=f"bench-{run_id}",
            deployment_id=f"bench-deployment-{run_id}",
            tool_base=config.base_url,
            teachers=options.teachers,
            courses=options.courses,
        )
        key_server = KeySetServer(platform.jwks())
        registration = None
        saved_log: Path | None = None
        log_path = workdir / "gunicorn.log"
        try:
            print(f"Preparing the instance ({_database_kind(config.database_url)}, "
                  f"Redis {options.redis_url}) ...", flush=True)
            registration = prepare_instance(
                config,
                issuer=platform.issuer,
                client_id=platform.client_id,
                deployment_id=platform.deployment_id,
                key_set_url=key_server.url,
                auth_login_url=platform.auth_login_url,
                auth_token_url=platform.issuer + "/token",
            )
            with log_path.open("wb") as log, gunicorn(
                config, workers=options.workers, threads=options.threads, log=log
            ) as server:
                print(f"gunicorn is up on {config.base_url}: {_server_kind(options)}",
                      flush=True)
                run_phase("warm-up", "requests", options.users, WARM_UP_SECONDS,
                          bare_iteration(config.base_url))
                print(f"bare and launch phases: {options.users} users, {options.duration:g} s "
                      f"each, in {options.rounds} alternating round(s) ...", flush=True)
                bare, launches = run_rounds(options, config.base_url, platform, server.pid)
            fetches = key_server.fetches
            log_tail = server_log_tail(log_path)
            if bare.errors or launches.errors:
                saved_log = save_log(log_path, options.results_dir)
        finally:
            key_server.close()
            if registration is not None and options.database_url:
                remove_registration(config, registration.platform_id)
            delete_redis_prefix(options.redis_url, config.cache_prefix)
    result = figures(
        options, config.database_url, bare, launches, fetches, log_tail, load_before
    )
    result["server_log"] = str(saved_log) if saved_log else None
    return result


def run_rounds(
    options: Options, base_url: str, platform: BenchPlatform, server_pid: int
) -> tuple[PhaseResult, PhaseResult]:
    """Both phases, each cut into ``options.rounds`` slices run in turn (bare, launch, ...).

    A shared machine's speed drifts over a run; measured one after the other, the
    two phases would see different machines and the ratio would carry the drift.
    """
    slice_seconds = options.duration / options.rounds
    bare_iter = bare_iteration(base_url)
    launch_iter = launch_iteration(base_url, platform)
    bare_parts, launch_parts = [], []
    for _ in range(options.rounds):
        bare_parts.append(run_phase("bare", "requests", options.users, slice_seconds,
                                    bare_iter, server_pid))
        launch_parts.append(run_phase("launch", "launches", options.users, slice_seconds,
                                      launch_iter, server_pid))
    return merge_phases(bare_parts), merge_phases(launch_parts)


def load_average() -> float | None:
    """The 1-minute load average, to tell a quiet machine from a shared, busy one."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def server_log_tail(path: Path) -> list[str]:
    """The gunicorn log's last warnings and tracebacks, without the access and INFO lines.

    Each request writes an access line and each launch an INFO line; left in,
    they would push the traceback that explains an error out of the tail.
    """
    lines = path.read_text(errors="replace").splitlines()
    return [
        line for line in lines
        if not line.startswith("127.0.0.1 - ") and " INFO " not in line and "[INFO]" not in line
    ][-LOG_TAIL_LINES:]


def _database_kind(url: str) -> str:
    return "PostgreSQL" if url.startswith("postgres") else "SQLite"


def _server_kind(options: Options) -> str:
    worker = "sync" if options.threads == 1 else f"gthread, {options.threads} threads each"
    return f"{options.workers} workers ({worker})"


def _phase_figures(phase: PhaseResult) -> dict[str, Any]:
    values = phase.samples.latencies_ms
    return {
        "unit": phase.unit,
        "completed": phase.completed,
        "errors": phase.errors,
        "error_kinds": dict(phase.samples.errors),
        "error_examples": phase.samples.error_examples,
        "wall_seconds": round(phase.wall_seconds, 3),
        "throughput_per_s": round(phase.throughput, 2),
        "p50_ms": round(percentile(values, 50), 2),
        "p95_ms": round(percentile(values, 95), 2),
        "p99_ms": round(percentile(values, 99), 2),
        "cpu": {k: round(v, 2) for k, v in phase.cpu.items()},
        "server_cpu_ms_per_unit": (
            round(1000 * phase.cpu["server_cpu_seconds"] / phase.completed, 2)
            if "server_cpu_seconds" in phase.cpu and phase.completed else None
        ),
        "steps_ms": {
            step: {
                "p50": round(percentile(ms, 50), 2),
                "p95": round(percentile(ms, 95), 2),
                "p99": round(percentile(ms, 99), 2),
            }
            for step, ms in phase.samples.steps_ms.items()
        },
    }


def figures(
    options: Options, database_url: str, bare: PhaseResult, launches: PhaseResult,
    fetches: int, log_tail: list[str], load_before: float | None,
) -> dict[str, Any]:
    ratio = launches.throughput / bare.throughput if bare.throughput else 0.0
    bare_cpu = _phase_figures(bare)["server_cpu_ms_per_unit"]
    launch_cpu = _phase_figures(launches)["server_cpu_ms_per_unit"]
    cpu_cost = round(launch_cpu / bare_cpu, 1) if bare_cpu and launch_cpu else None
    errors = bare.errors + launches.errors
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "load_average_before": load_before,
        },
        "settings": {
            "users": options.users,
            "duration_s": options.duration,
            "workers": options.workers,
            "threads_per_worker": options.threads,
            "worker_class": "sync" if options.threads == 1 else "gthread",
            "database": _database_kind(database_url),
            "cache": "Redis",
            "teachers": options.teachers,
            "courses": options.courses,
            "rounds": options.rounds,
        },
        "phases": {"bare": _phase_figures(bare), "launch": _phase_figures(launches)},
        "ratio": round(ratio, 3),
        "launch_cost_in_bare_requests_of_server_cpu": cpu_cost,
        "target_ratio": TARGET_RATIO,
        "errors": errors,
        "key_set_fetches": fetches,
        "faults": errors > 0 or fetches > MAX_KEY_SET_FETCHES,
        "server_log_tail": log_tail if errors else [],
    }


def report(result: dict[str, Any]) -> str:
    """The figures as the terminal shows them."""
    s = result["settings"]
    lines = [
        "",
        f"Staffroom launch benchmark, {result['date']}: {s['users']} users, "
        f"{s['duration_s']:g} s per phase, gunicorn {s['workers']} workers "
        f"({s['worker_class']}, {s['threads_per_worker']} thread(s) each), "
        f"{s['database']}, Redis, {result['machine']['cpus']} CPUs "
        f"(load average before: {result['machine']['load_average_before']})",
        "",
        f"{'phase':<8} {'done':>8} {'errors':>7} {'per s':>9} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'p99 ms':>8}",
    ]
    for name, phase in result["phases"].items():
        label = f"{name} ({phase['unit']})"
        lines.append(
            f"{name:<8} {phase['completed']:>8} {phase['errors']:>7} "
            f"{phase['throughput_per_s']:>9.1f} {phase['p50_ms']:>8.1f} {phase['p95_ms']:>8.1f} "
            f"{phase['p99_ms']:>8.1f}   {label}"
        )
    steps = result["phases"]["launch"]["steps_ms"]
    if steps:
        parts = [
            f"{step} {steps[step]['p50']:.1f}/{steps[step]['p95']:.1f}"
            for step in ("login", "launch", "sign") if step in steps
        ]
        lines.append(
            "launch steps, p50/p95 ms: " + ", ".join(parts)
            + " (launch latency = login + launch, which answers with the landing page; sign is "
            "the platform's, excluded)"
        )
    for phase in result["phases"].values():
        if phase["server_cpu_ms_per_unit"] is not None:
            lines.append(
                f"server CPU (gunicorn master and workers) per {SINGULAR[phase['unit']]}: "
                f"{phase['server_cpu_ms_per_unit']:.2f} ms"
            )
    if result["launch_cost_in_bare_requests_of_server_cpu"] is not None:
        lines.append(
            "a launch costs the server as much CPU as "
            f"{result['launch_cost_in_bare_requests_of_server_cpu']} bare requests "
            "(target ≤ 5; unlike throughput, barely moved by other work on the machine)"
        )
    for name, phase in result["phases"].items():
        cpu = phase["cpu"]
        if "machine_busy_pct" in cpu:
            lines.append(
                f"CPU during {name}: machine {cpu['machine_busy_pct']:.0f}% busy, load "
                f"generator {cpu['load_generator_pct_of_one_core']:.0f}% of one core"
            )
    lines += [
        "",
        f"ratio (launches/s ÷ bare requests/s) = {result['ratio']:.3f} "
        f"(target ≥ {result['target_ratio']})",
        f"errors: {result['errors']} (target 0)",
        f"key set fetches: {result['key_set_fetches']} (target ≤ {MAX_KEY_SET_FETCHES})",
    ]
    for name, phase in result["phases"].items():
        for kind, count in phase["error_kinds"].items():
            lines.append(f"  {name} error {kind}: {count}")
        for example in phase["error_examples"]:
            lines.append(f"    e.g. {example}")
    if result["server_log_tail"]:
        lines += ["", "Last lines of the gunicorn log (access log left out):",
                  *result["server_log_tail"]]
    if result.get("server_log"):
        lines.append(f"whole gunicorn log: {result['server_log']}")
    return "\n".join(lines)


def save_log(log_path: Path, results_dir: Path) -> Path:
    """Keep the whole gunicorn log of a run with errors: the temporary folder goes away."""
    results_dir.mkdir(parents=True, exist_ok=True)
    target = results_dir / f"launches-{time.strftime('%Y%m%d-%H%M%S')}-gunicorn.log"
    shutil.copyfile(log_path, target)
    return target


def save(result: dict[str, Any], results_dir: Path) -> Path:
    results_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = results_dir / f"launches-{stamp}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    try:
        result = run(options)
    except BenchSetupError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("bench: interrupted; the server has been stopped.", file=sys.stderr)
        return 130
    print(report(result))
    path = save(result, options.results_dir)
    print(f"\nfigures written to {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 1 if result["faults"] else 0


if __name__ == "__main__":
    sys.exit(main())
