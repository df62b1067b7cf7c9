"""Concurrent users, each a thread with its own HTTP connection, and their figures.

A *bare* user GETs ``/healthz`` in a loop. A *launch* user plays both the LMS
and the browser for one complete LTI 1.3 launch per iteration:

1. POST ``/lti/login`` (third-party initiated login) -> 302 to the platform's
   auth endpoint, carrying ``state`` and ``nonce``, plus the state cookie;
2. the platform signs an id_token for that nonce (RS256) -- the platform's
   cost, timed separately and left out of the tool's latency;
3. POST ``/lti/launch`` with id_token, state and the state cookie -> 200: the
   course dashboard (the landing page), naming the course, plus the tool's
   session cookie.

The tool's latency of a launch is the sum of its two HTTP round trips.

The tool's cookies are ``Secure; Partitioned`` (they must be, in an LMS
iframe). ``requests`` rightly never sends a Secure cookie over ``http://``, so
the user keeps its cookies itself and writes the ``Cookie`` header, the way a
browser does for ``http://127.0.0.1``, which it treats as a secure context.
"""

from __future__ import annotations

import itertools
import math
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http import cookiejar
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from bench.platform import BenchPlatform

REQUEST_TIMEOUT = 30.0
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
MAX_ERROR_EXAMPLES = 5


class LaunchFailed(Exception):
    """One iteration did not end where a real teacher's launch ends: a counted error."""


@dataclass
class Cookies:
    """A browser's cookie store for one host, enough for the tool's cookies."""

    _items: dict[str, tuple[str, str]] = field(default_factory=dict)

    def update_from(self, response: requests.Response) -> None:
        for header in response.raw.headers.getlist("Set-Cookie"):
            name_value, *attributes = (part.strip() for part in header.split(";"))
            name, _, value = name_value.partition("=")
            attrs = {a.partition("=")[0].lower(): a.partition("=")[2] for a in attributes}
            if attrs.get("max-age") == "0" or (not value and "expires" in attrs):
                self._items.pop(name, None)
            else:
                self._items[name] = (value, attrs.get("path") or "/")

    def header_for(self, path: str) -> str:
        return "; ".join(
            f"{name}={value}"
            for name, (value, cookie_path) in self._items.items()
            if path.startswith(cookie_path.rstrip("/") + "/") or path == cookie_path
        )


@dataclass
class Samples:
    """What one user thread measured; merged after the phase, so no locks while timing."""

    latencies_ms: list[float] = field(default_factory=list)
    steps_ms: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    error_examples: list[str] = field(default_factory=list)

    def step(self, name: str, ms: float) -> None:
        self.steps_ms.setdefault(name, []).append(ms)

    def error(self, kind: str, example: str) -> None:
        self.errors[kind] += 1
        if len(self.error_examples) < MAX_ERROR_EXAMPLES:
            self.error_examples.append(example)

    def merge(self, other: Samples) -> None:
        self.latencies_ms += other.latencies_ms
        for name, values in other.steps_ms.items():
            self.steps_ms.setdefault(name, []).extend(values)
        self.errors.update(other.errors)
        room = MAX_ERROR_EXAMPLES - len(self.error_examples)
        self.error_examples += other.error_examples[:max(room, 0)]


@dataclass
class PhaseResult:
    name: str
    unit: str
    users: int
    wall_seconds: float
    samples: Samples
    cpu: dict[str, float]

    @property
    def completed(self) -> int:
        return len(self.samples.latencies_ms)

    @property
    def errors(self) -> int:
        return sum(self.samples.errors.values())

    @property
    def throughput(self) -> float:
        return self.completed / self.wall_seconds if self.wall_seconds else 0.0


class _NoCookies(cookiejar.DefaultCookiePolicy):
    """Keeps no cookie: each user manages its cookies itself (:class:`Cookies`)."""

    def set_ok(self, cookie: cookiejar.Cookie, request: object) -> bool:
        return False


class _UserSession(requests.Session):
    """A user's connection: it reads every redirect itself and never follows one.

    Even with ``allow_redirects=False``, ``requests`` prepares the request a
    redirect would lead to (cookies, headers, URL) and keeps it in
    ``response.next``; the login answers every launch with a redirect, so that
    unused work was a sizeable share of the load generator's CPU per launch.
    """

    def resolve_redirects(self, *args: object, **kwargs: object) -> Iterator[requests.Response]:
        return iter(())


def cookieless_session() -> requests.Session:
    """A connection for one user that keeps no cookies of its own.

    ``requests`` would keep every ``Set-Cookie`` in the session's jar, even the
    Secure ones it never sends over ``http://``. Each launch gets a state cookie
    with a new name, so the jar would grow with every launch, and every request
    would walk all of it: the load generator would slow down as the run went on,
    and each launch would no longer start in a fresh browser.
    """
    session = _UserSession()
    session.cookies.set_policy(_NoCookies())
    session.trust_env = False  # 127.0.0.1: no proxy or .netrc lookups on every request
    return session


def merge_phases(parts: list[PhaseResult]) -> PhaseResult:
    """One phase from slices of it run at different times (see ``--rounds``).

    Completed work, errors and server CPU seconds add up; wall time too, so the
    throughput is the total done over the total time; the machine and load
    generator percentages are averaged, weighted by each slice's wall time.
    """
    first = parts[0]
    wall = sum(p.wall_seconds for p in parts)
    samples = Samples()
    for part in parts:
        samples.merge(part.samples)
    cpu: dict[str, float] = {}
    for key in {k for p in parts for k in p.cpu}:
        if not all(key in p.cpu for p in parts):
            continue
        if key == "server_cpu_seconds":
            cpu[key] = sum(p.cpu[key] for p in parts)
        else:
            cpu[key] = sum(p.cpu[key] * p.wall_seconds for p in parts) / wall if wall else 0.0
    return PhaseResult(first.name, first.unit, first.users, wall, samples, cpu)


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile: a value that was actually measured."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(pct / 100 * len(ordered))))
    return ordered[rank - 1]


Iteration = Callable[[requests.Session, Samples], None]


def run_phase(
    name: str, unit: str, users: int, duration: float, iteration: Iteration,
    server_pid: int | None = None,
) -> PhaseResult:
    """Run ``users`` threads doing ``iteration`` until ``duration`` seconds have passed.

    Iterations in flight at the deadline finish and count; the wall time runs
    until the last one has, so throughput is never flattered.
    """
    per_user = [Samples() for _ in range(users)]
    barrier = threading.Barrier(users + 1)
    deadline = 0.0

    def user(samples: Samples) -> None:
        with cookieless_session() as http:
            barrier.wait()
            while time.perf_counter() < deadline:
                iteration(http, samples)

    threads = [
        threading.Thread(target=user, args=(s,), name=f"{name}-user-{i}", daemon=True)
        for i, s in enumerate(per_user)
    ]
    for thread in threads:
        thread.start()
    cpu_before = cpu_snapshot(server_pid)
    start = time.perf_counter()
    deadline = start + duration
    barrier.wait()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    cpu = cpu_usage(cpu_before, cpu_snapshot(server_pid), wall)
    merged = Samples()
    for samples in per_user:
        merged.merge(samples)
    return PhaseResult(name, unit, users, wall, merged, cpu)


# ------------------------------------------------------------------------- the two users


def bare_iteration(base_url: str) -> Iteration:
    url = base_url + "/healthz"

    def iteration(http: requests.Session, samples: Samples) -> None:
        start = time.perf_counter()
        try:
            response = http.get(url, timeout=REQUEST_TIMEOUT)
            ok = response.status_code == 200 and response.json().get("status") == "ok"
        except (requests.RequestException, ValueError) as exc:
            samples.error(f"healthz {exc.__class__.__name__}", repr(exc))
            return
        elapsed = (time.perf_counter() - start) * 1000
        if not ok:
            samples.error(f"healthz HTTP {response.status_code}", response.text[:300])
            return
        samples.latencies_ms.append(elapsed)

    return iteration


def launch_iteration(base_url: str, platform: BenchPlatform) -> Iteration:
    counter = itertools.count()  # next() on itertools.count is atomic in CPython

    def iteration(http: requests.Session, samples: Samples) -> None:
        teacher = next(counter) % platform.teachers
        try:
            timings = _launch(http, base_url, platform, teacher)
        except LaunchFailed as exc:
            kind = str(exc).split(":", 1)[0]
            samples.error(kind, str(exc))
            return
        except requests.RequestException as exc:
            samples.error(f"connection {exc.__class__.__name__}", repr(exc))
            return
        for step, ms in timings.items():
            samples.step(step, ms)
        samples.latencies_ms.append(timings["login"] + timings["launch"])

    return iteration


def _timed(call: Callable[[], requests.Response]) -> tuple[requests.Response, float]:
    start = time.perf_counter()
    response = call()
    return response, (time.perf_counter() - start) * 1000


def _launch(
    http: requests.Session, base_url: str, platform: BenchPlatform, teacher: int,
) -> dict[str, float]:
    cookies = Cookies()  # every launch is a fresh browser, as for a teacher's first visit

    # Form bodies are encoded here, as a browser does: ``requests`` would check each
    # field against typing protocols, a cost of the load generator, not of the tool.
    response, login_ms = _timed(lambda: http.post(
        base_url + "/lti/login", data=urlencode(platform.login_params(teacher)), headers=FORM,
        allow_redirects=False, timeout=REQUEST_TIMEOUT,
    ))
    if response.status_code != 302:
        raise LaunchFailed(f"login HTTP {response.status_code}: {_excerpt(response)}")
    cookies.update_from(response)
    auth = {k: v[0] for k, v in parse_qs(urlsplit(response.headers["Location"]).query).items()}
    if not auth.get("state") or not auth.get("nonce"):
        raise LaunchFailed(f"login redirect: no state or nonce in {response.headers['Location']}")

    sign_start = time.perf_counter()
    id_token = platform.sign(platform.payload(teacher, auth["nonce"]))
    sign_ms = (time.perf_counter() - sign_start) * 1000

    launch_url = auth.get("redirect_uri") or base_url + "/lti/launch"
    response, launch_ms = _timed(lambda: http.post(
        launch_url, data=urlencode({"id_token": id_token, "state": auth["state"]}),
        headers={**FORM, "Cookie": cookies.header_for(urlsplit(launch_url).path)},
        allow_redirects=False, timeout=REQUEST_TIMEOUT,
    ))
    if response.status_code != 200:
        raise LaunchFailed(f"launch HTTP {response.status_code}: {_excerpt(response)}")
    title = platform.course_title(platform.course_of(teacher))
    if title not in response.text:
        raise LaunchFailed(f"landing page: course title {title!r} missing")
    return {"login": login_ms, "sign": sign_ms, "launch": launch_ms}


def _excerpt(response: requests.Response) -> str:
    text = " ".join(response.text.split())
    start = text.find("<main")
    return (text[start:] if start >= 0 else text)[:300]


# ------------------------------------------------------------------------- CPU (Linux)


def cpu_snapshot(server_pid: int | None = None) -> dict[str, float]:
    """Machine-wide busy/total jiffies, this process's and the server's CPU seconds."""
    snapshot = {"process": time.process_time()}
    if server_pid is not None:
        server = process_tree_cpu_seconds(server_pid)
        if server is not None:
            snapshot["server"] = server
    try:
        with open("/proc/stat") as stat:
            fields = [float(x) for x in stat.readline().split()[1:]]
    except OSError:
        return snapshot
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)
    snapshot.update({"total": sum(fields), "idle": idle})
    return snapshot


def process_tree_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process and its children (gunicorn and its workers).

    Counting the server's own CPU makes a figure that other work on a shared
    machine barely moves, unlike throughput.
    """
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0.0
    try:
        pids = [pid, *_children(pid)]
    except OSError:
        return None
    for child in pids:
        try:
            with open(f"/proc/{child}/stat") as stat:
                # The command name may hold spaces: fields start after its closing ")".
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # a worker that exited between listing and reading
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as children:
        return [int(p) for p in children.read().split()]


def cpu_usage(before: dict[str, float], after: dict[str, float], wall: float) -> dict[str, float]:
    """Load generator CPU (% of one core), machine busy (% of all cores), server CPU seconds."""
    usage = {"load_generator_pct_of_one_core": 100 * (after["process"] - before["process"]) / wall}
    if "total" in before and "total" in after and after["total"] > before["total"]:
        total = after["total"] - before["total"]
        busy = total - (after["idle"] - before["idle"])
        usage["machine_busy_pct"] = 100 * busy / total
    if "server" in before and "server" in after:
        usage["server_cpu_seconds"] = after["server"] - before["server"]
    return usage
