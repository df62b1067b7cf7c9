"""A throw-away Staffroom instance run by gunicorn, as production runs it.

The instance gets a fresh SQLite file in a temporary folder (or a PostgreSQL URL
given on the command line), the shared Redis for launch state and key sets
under a prefix of its own, a random SECRET_KEY, and one registered platform
with one deployment. Nothing else is created beforehand: people, courses and
memberships come from the launches, as they would on a real first day.
"""

from __future__ import annotations

import os
import runpy
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import requests

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
ROOT = Path(__file__).resolve().parent.parent


class BenchSetupError(RuntimeError):
    """The benchmark cannot run; the message says what to fix."""


@dataclass(frozen=True)
class InstanceConfig:
    """Everything the tool is configured with, as environment variables for gunicorn."""

    port: int
    database_url: str
    redis_url: str
    secret_key: str
    cache_prefix: str
    instance_path: str

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environ(self) -> dict[str, str]:
        """The child's environment: development (plain http), demo off, explicit secrets.

        ``production`` would insist on an https PUBLIC_BASE_URL, which a loopback
        benchmark cannot have; development with every value given explicitly
        runs the same code paths.
        """
        env = dict(os.environ)
        env.update(
            {
                "STAFFROOM_ENV": "development",
                "STAFFROOM_DEMO_MODE": "false",
                "STAFFROOM_CACHE_PREFIX": self.cache_prefix,
                "SECRET_KEY": self.secret_key,
                "PUBLIC_BASE_URL": self.base_url,
                "DATABASE_URL": self.database_url,
                "REDIS_URL": self.redis_url,
            }
        )
        return env

    def overrides(self) -> dict[str, object]:
        """The same settings for an in-process ``create_app`` (migrations, registration)."""
        return {
            "ENV_NAME": "development",
            "DEMO_MODE": False,
            "CACHE_PREFIX": self.cache_prefix,
            "SECRET_KEY": self.secret_key,
            "PUBLIC_BASE_URL": self.base_url,
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "REDIS_URL": self.redis_url,
            "INSTANCE_PATH": self.instance_path,
            "LOG_LEVEL": "WARNING",
        }


def free_port() -> int:
    """A port nobody listens on now (the kernel's choice for port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def check_redis(url: str) -> None:
    """Fail early and clearly: launch state lives in Redis, the tool cannot run without it."""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3).ping()
    except redis.RedisError as exc:
        raise BenchSetupError(
            f"Redis is unreachable at {url} ({exc.__class__.__name__}: {exc}). "
            "Start Redis (for example `redis-server` or `systemctl start redis`) or set "
            "REDIS_URL to a running one; the benchmark keeps launch state there as "
            "production does."
        ) from exc


def delete_redis_prefix(url: str, prefix: str) -> int:
    """Remove the keys this run wrote, so that runs never see each other's state."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=10)
    deleted = 0
    for key in client.scan_iter(match=prefix + "*", count=1000):
        deleted += int(client.delete(key))
    return deleted


@dataclass(frozen=True)
class Registration:
    platform_id: int
    client_id: str


def prepare_instance(
    config: InstanceConfig, *, issuer: str, client_id: str, deployment_id: str,
    key_set_url: str, auth_login_url: str, auth_token_url: str,
) -> Registration:
    """Migrate the database, generate the tool key, register the bench platform."""
    from flask_migrate import upgrade

    from lti_tool import create_app
    from lti_tool.extensions import db
    from lti_tool.lti import keys
    from lti_tool.lti.models import Deployment, Platform

    app = create_app(config.overrides())
    with app.app_context():
        upgrade()
        keys.ensure_key()
        platform = Platform(
            name="Bench LMS",
            issuer=issuer,
            client_id=client_id,
            auth_login_url=auth_login_url,
            auth_token_url=auth_token_url,
            key_set_url=key_set_url,
            frame_origins=[],
            active=True,
        )
        platform.deployments.append(Deployment(deployment_id=deployment_id, name="Bench"))
        db.session.add(platform)
        db.session.commit()
        registration = Registration(platform_id=platform.id, client_id=client_id)
        db.session.remove()
        db.engine.dispose()
    return registration


def remove_registration(config: InstanceConfig, platform_id: int) -> None:
    """On a database the user gave us, delete what the run added (cascades to its rows)."""
    import sqlalchemy as sa

    from lti_tool import create_app
    from lti_tool.courses.models import Course, Membership, Person
    from lti_tool.extensions import db
    from lti_tool.lti.models import Deployment, Platform

    app = create_app(config.overrides())
    with app.app_context():
        course_ids = sa.select(Course.id).where(Course.platform_id == platform_id)
        db.session.execute(sa.delete(Membership).where(Membership.course_id.in_(course_ids)))
        db.session.execute(sa.delete(Course).where(Course.platform_id == platform_id))
        db.session.execute(sa.delete(Person).where(Person.platform_id == platform_id))
        db.session.execute(sa.delete(Deployment).where(Deployment.platform_id == platform_id))
        db.session.execute(sa.delete(Platform).where(Platform.id == platform_id))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def new_config(
    port: int, database_url: str | None, redis_url: str, workdir: Path
) -> InstanceConfig:
    return InstanceConfig(
        port=port or free_port(),
        database_url=database_url or f"sqlite:///{workdir / 'bench.db'}",
        redis_url=redis_url,
        secret_key=secrets.token_urlsafe(48),
        cache_prefix=f"staffroom-bench-{secrets.token_hex(4)}:",
        instance_path=str(workdir / "instance"),
    )


GUNICORN_CONF = ROOT / "config" / "gunicorn.conf.py"


def production_threads() -> int:
    """Threads per worker in the production gunicorn configuration (gthread)."""
    settings = runpy.run_path(str(GUNICORN_CONF))
    return int(settings.get("threads", 1))


def gunicorn_command(config: InstanceConfig, workers: int, threads: int) -> list[str]:
    """gunicorn from this virtualenv with the production configuration file.

    Only the bind address and the number of workers and threads are changed
    on the command line; one thread means gunicorn's plain sync worker, for
    comparison with the gthread worker that production uses.
    """
    gunicorn = Path(sys.executable).parent / "gunicorn"
    if not gunicorn.exists():
        raise BenchSetupError(
            f"gunicorn is not installed next to {sys.executable}: run `make install`."
        )
    command = [
        str(gunicorn),
        "-c", str(GUNICORN_CONF),
        "-w", str(workers),
        "-b", f"127.0.0.1:{config.port}",
        "--graceful-timeout", "5",
    ]
    if threads > 1:
        command += ["-k", "gthread", "--threads", str(threads)]
    else:
        command += ["-k", "sync", "--threads", "1"]
    return [*command, "lti_tool:create_app()"]


@contextmanager
def gunicorn(
    config: InstanceConfig, *, workers: int, threads: int, log: IO[bytes],
    startup_timeout: float = 30.0,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run gunicorn until the block ends, however it ends (errors, Ctrl-C).

    gunicorn gets a session of its own so that a Ctrl-C in the terminal reaches
    only the benchmark, which then stops the server in order: TERM, then KILL.
    """
    proc = subprocess.Popen(  # noqa: S603 (fixed argument list, no shell)
        gunicorn_command(config, workers, threads),
        cwd=ROOT,
        env=config.environ(),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_until_healthy(proc, config.base_url + "/healthz", startup_timeout)
        yield proc
    finally:
        _stop(proc)


def _wait_until_healthy(proc: subprocess.Popen[bytes], url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchSetupError(f"gunicorn exited with status {proc.returncode} on start-up")
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise BenchSetupError(f"gunicorn did not answer {url} within {timeout:.0f} seconds")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
    except ProcessLookupError:
        proc.wait(timeout=5)
