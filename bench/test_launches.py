"""Tests of the benchmark's machinery: they check that it measures right, never a time.

Run with ``.venv/bin/pytest -q bench``. The end-to-end run needs Redis (as the
benchmark does); it is skipped when Redis is unreachable, except in CI.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from unittest import mock

import pytest
import requests

from bench import launches
from bench.load import Cookies, PhaseResult, Samples, merge_phases, percentile
from bench.platform import CLAIM, BenchPlatform, KeySetServer
from bench.server import DEFAULT_REDIS_URL, BenchSetupError, check_redis

IN_CI = os.environ.get("CI", "").lower() == "true"


def _response_with_cookies(*set_cookies: str) -> requests.Response:
    response = requests.Response()
    response.raw = mock.Mock()
    response.raw.headers.getlist.return_value = list(set_cookies)
    return response


def test_cookies_are_sent_by_path_even_when_secure() -> None:
    cookies = Cookies()
    cookies.update_from(_response_with_cookies(
        "lti1p3-abc=abc; Max-Age=600; Path=/lti/; Secure; HttpOnly; SameSite=None; Partitioned",
        "staffroom_session=s1; Path=/; Secure; HttpOnly; SameSite=None; Partitioned",
    ))
    assert cookies.header_for("/lti/launch") == "lti1p3-abc=abc; staffroom_session=s1"
    assert cookies.header_for("/courses/1/") == "staffroom_session=s1"
    assert cookies.header_for("/ltix") == "staffroom_session=s1"


def test_cookies_deleted_by_the_server_are_dropped() -> None:
    cookies = Cookies()
    cookies.update_from(_response_with_cookies("a=1; Path=/", "b=2; Path=/"))
    cookies.update_from(_response_with_cookies(
        "a=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/"
    ))
    assert cookies.header_for("/") == "b=2"


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 95) == 95.0
    assert percentile(values, 99) == 99.0
    assert percentile([3.0, 1.0, 2.0], 95) == 3.0
    assert percentile([], 50) != percentile([], 50)  # NaN: nothing was measured


def test_platform_signs_a_launch_its_key_set_verifies() -> None:
    import jwt

    platform = BenchPlatform("https://lms.bench.invalid", "c1", "d1", "http://127.0.0.1:1")
    token = platform.sign(platform.payload(teacher=23, nonce="n-1"))
    key = jwt.PyJWK.from_dict(platform.jwks()["keys"][0])
    claims = jwt.decode(token, key, algorithms=["RS256"], audience="c1")
    assert claims["sub"] == "bench-teacher-23"
    assert claims["nonce"] == "n-1"
    assert claims[CLAIM + "context"]["title"] == platform.course_title(3)
    assert jwt.get_unverified_header(token)["kid"] == platform.kid


def test_key_set_server_counts_fetches() -> None:
    server = KeySetServer({"keys": []})
    try:
        assert requests.get(server.url, timeout=5).json() == {"keys": []}
        assert requests.get(server.url.replace("jwks", "other"), timeout=5).status_code == 404
        assert server.fetches == 1
    finally:
        server.close()


def test_unreachable_redis_is_a_clear_setup_error() -> None:
    with pytest.raises(BenchSetupError, match="Redis is unreachable at redis://127.0.0.1:1/0"):
        check_redis("redis://127.0.0.1:1/0")


def test_options_are_checked() -> None:
    with pytest.raises(SystemExit):
        launches.parse_args(["--users", "0"])
    options = launches.parse_args(["--users", "3", "--threads", "1", "--duration", "2"])
    assert (options.users, options.threads, options.workers) == (3, 1, 2)
    assert launches.parse_args([]).threads >= 1  # from config/gunicorn.conf.py
    assert launches.parse_args([]).rounds == 4
    with pytest.raises(SystemExit):
        launches.parse_args(["--rounds", "0"])


def test_slices_of_a_phase_merge_into_one() -> None:
    def part(done: int, wall: float, server: float, busy: float) -> PhaseResult:
        samples = Samples()
        samples.latencies_ms = [10.0] * done
        samples.error("launch HTTP 500", "boom")
        return PhaseResult("launch", "launches", 5, wall, samples,
                           {"server_cpu_seconds": server, "machine_busy_pct": busy})

    merged = merge_phases([part(30, 1.0, 0.2, 90.0), part(10, 3.0, 0.4, 50.0)])
    assert merged.completed == 40
    assert merged.errors == 2
    assert merged.wall_seconds == 4.0
    assert merged.throughput == 10.0  # all the work over all the time, not a mean of rates
    assert merged.cpu["server_cpu_seconds"] == pytest.approx(0.6)
    assert merged.cpu["machine_busy_pct"] == pytest.approx(60.0)  # weighted by wall time


def _redis_or_skip() -> str:
    url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    try:
        check_redis(url)
    except BenchSetupError as exc:
        if IN_CI:
            pytest.fail(str(exc))
        pytest.skip(str(exc))
    return url


@pytest.mark.parametrize("threads", [1, 2])
def test_a_short_run_launches_without_errors(
    tmp_path: Path, threads: int, capsys: pytest.CaptureFixture[str]
) -> None:
    _redis_or_skip()
    status = launches.main([
        "--users", "2", "--duration", "1", "--threads", str(threads),
        "--results-dir", str(tmp_path),
    ])
    out = capsys.readouterr().out
    [saved] = tmp_path.glob("launches-*.json")
    result = json.loads(saved.read_text())
    launch, bare = result["phases"]["launch"], result["phases"]["bare"]
    assert launch["errors"] == 0, launch["error_examples"]
    assert bare["errors"] == 0, bare["error_examples"]
    assert launch["completed"] > 0
    assert bare["completed"] > 0
    assert set(launch["steps_ms"]) == {"login", "sign", "launch"}
    # Every launch needed the platform's key, and the key set server saw the tool fetch it.
    assert result["key_set_fetches"] >= 1
    assert status == (1 if result["key_set_fetches"] > 1 else 0)
    assert "ratio (launches/s ÷ bare requests/s) = " in out
    assert f"key set fetches: {result['key_set_fetches']} (target ≤ 1)" in out
