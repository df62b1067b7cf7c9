"""Fixtures: the app on each database backend, a test platform, and the LTI flow.

Every test that uses ``app`` runs on SQLite with the in-process cache and, when
enabled, again on PostgreSQL with Redis. In CI (``CI=true``) the PostgreSQL +
Redis variant is mandatory and fails if they are unreachable; elsewhere it is
skipped unless ``STAFFROOM_TEST_POSTGRES=1`` (see the README).
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Iterator
from typing import Any

import jinja2
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from lti_tool import create_app
from lti_tool.extensions import db
from lti_tool.lti import keysets
from lti_tool.lti.frames import invalidate_frame_ancestors
from tests.support.platform import (
    REMOVE,
    TOOL_BASE,
    KeyServer,
    TestPlatform,
    parse_auth_redirect,
    register,
)
from tests.support.services import ServiceServer

POSTGRES_URL = os.environ.get("STAFFROOM_TEST_DATABASE_URL", "postgresql://127.0.0.1:5432/test")
REDIS_URL = os.environ.get("STAFFROOM_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
IN_CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_ENABLED = IN_CI or os.environ.get("STAFFROOM_TEST_POSTGRES") == "1"
SKIP_MESSAGE = (
    "PostgreSQL + Redis variant not enabled: set STAFFROOM_TEST_POSTGRES=1 (PostgreSQL at "
    f"{POSTGRES_URL}, Redis at {REDIS_URL}; override with STAFFROOM_TEST_DATABASE_URL / "
    "STAFFROOM_TEST_REDIS_URL). It always runs in CI."
)


def run_together(nodeid: str) -> str:
    """Which tests ``make test`` keeps in one process (pytest-xdist's unit of work).

    The PostgreSQL + Redis variant runs whole in one process: it has one database and one
    Redis database, which every test empties and fills. The browser tests run whole in one
    process too: they share one live server and one Chromium, started once. Every other
    test is a unit of its own, spread over the processes (SQLite: each process on files of
    its own).
    """
    # The PostgreSQL + Redis variant of the ``backend`` fixture, whatever other parameters
    # come before or after it (and whatever brackets or colons they hold; the first bracket
    # opens the parameters): ``test_x[postgres]``, ``test_y[postgres-https://[::1/config]``.
    parameters = nodeid.partition("[")[2].removesuffix("]")
    if "postgres" in parameters.split("-"):
        return "postgres"
    if nodeid.startswith("tests/browser/"):
        return "browser"
    return nodeid


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """pytest-xdist's ``loadgroup`` marks do not reach its scheduler under pytest 9 (test ids
    are no longer rewritten), so the grouping is given to the scheduler directly."""
    from xdist.scheduler import LoadScopeScheduling

    class RunTogether(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return run_together(nodeid)

    return RunTogether(config, log)


def pytest_terminal_summary(terminalreporter) -> None:
    if not POSTGRES_ENABLED:
        terminalreporter.write_line(SKIP_MESSAGE, yellow=True)


def _migrate(url: str, redis_url: str, instance: str) -> None:
    """Build the schema with the real migrations (they are tested by every run)."""
    from flask_migrate import upgrade

    app = create_app(_config(url, redis_url, instance))
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        else:
            db.drop_all()
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()
        db.engine.dispose()


def _config(url: str, redis_url: str, instance: str) -> dict[str, Any]:
    return {
        "ENV_NAME": "testing",
        "SQLALCHEMY_DATABASE_URI": url,
        "REDIS_URL": redis_url,
        "CACHE_PREFIX": "staffroom-test:",
        "PUBLIC_BASE_URL": TOOL_BASE,
        "INSTANCE_PATH": instance,
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "SERVER_NAME": "tool.example.org",
        "PREFERRED_URL_SCHEME": "https",
    }


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def backend(request, tmp_path_factory) -> dict[str, Any]:
    instance = str(tmp_path_factory.mktemp(f"instance-{request.param}"))
    if request.param == "sqlite":
        url, redis_url = f"sqlite:///{instance}/test.db", ""
    else:
        if not POSTGRES_ENABLED:
            pytest.skip(SKIP_MESSAGE)
        url, redis_url = POSTGRES_URL, REDIS_URL
        _check_services(url, redis_url)
    _migrate(url, redis_url, instance)
    return {"name": request.param, "url": url, "redis_url": redis_url, "instance": instance}


def _check_services(url: str, redis_url: str) -> None:
    import redis

    try:
        engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
        redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()
    except Exception as exc:  # pragma: no cover - only when CI's services are down
        pytest.fail(f"PostgreSQL ({url}) or Redis ({redis_url}) is unreachable: {exc}")


class ContextPerRequestClient(FlaskClient):
    """Each request runs in its own application context, as in production.

    The ``app`` fixture keeps one context open for the whole test (so that tests
    can query the database); without this, ``g`` (the course context,
    Flask-WTF's CSRF token) and the database session would carry over from one
    request to the next.
    """

    def open(self, *args: Any, **kwargs: Any):  # type: ignore[no-untyped-def]
        # Read whole and closed, as a server sends it: what a page does after its
        # response is sent (lti_tool.courses.after_response) has run when this returns.
        kwargs.setdefault("buffered", True)
        with self.application.app_context():
            return super().open(*args, **kwargs)


class _CompiledTemplates(jinja2.BytecodeCache):
    """The templates, compiled once for the whole run instead of once for each test's app.

    Each test makes its own app, and a new app compiles every template it renders again:
    a tenth of a test's time. Jinja keys what it stores by the template's name and checks
    it against the source's checksum, so an edited template is compiled afresh.
    """

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = _CompiledTemplates()


@pytest.fixture
def app(backend) -> Iterator[Flask]:
    app = create_app(_config(backend["url"], backend["redis_url"], backend["instance"]))
    app.jinja_env.bytecode_cache = COMPILED_TEMPLATES
    app.test_client_class = ContextPerRequestClient
    with app.app_context():
        _empty_tables()
        app.extensions["staffroom_cache"].clear()
        keysets.clear_memo()
        invalidate_frame_ancestors()
        yield app
        db.session.remove()
        _empty_tables()
        db.engine.dispose()


def _empty_tables() -> None:
    """Delete every row, set the identities back to 1; twice a test, so it must be quick.

    Row by row, not ``TRUNCATE``: on PostgreSQL a ``TRUNCATE`` of every table gives each a
    new file on disk and took 50-500 ms, twice for each of thousands of tests, where the
    ``DELETE`` of a test's few rows takes a few milliseconds. The notes' audit log refuses
    DELETE by trigger (it is append-only): on PostgreSQL such a table is truncated, and
    only when a test wrote to it; on SQLite its triggers are set aside meanwhile.
    """
    db.session.remove()
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            append_only = set(conn.execute(sa.text(
                "SELECT DISTINCT event_object_table FROM information_schema.triggers "
                "WHERE trigger_name LIKE '%append_only%'")).scalars())
            for table in tables:
                if table.name not in append_only:
                    conn.execute(table.delete())
                elif conn.execute(sa.select(sa.exists().select_from(table))).scalar():
                    conn.execute(sa.text(f'TRUNCATE "{table.name}"'))
            sequences = conn.execute(sa.text(
                "SELECT quote_ident(sequencename) FROM pg_sequences "
                "WHERE schemaname = current_schema() AND last_value IS NOT NULL")).scalars().all()
            if sequences:
                conn.execute(sa.text("SELECT " + ", ".join(
                    f"setval('{name}', 1, false)" for name in sequences)))
        else:
            # An append-only table (the notes' audit log) refuses DELETE by trigger:
            # set its triggers aside while the test's rows are removed.
            guards = conn.execute(sa.text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                "AND sql LIKE '%append-only%'")).all()
            for name, _sql in guards:
                conn.execute(sa.text(f'DROP TRIGGER "{name}"'))
            for table in tables:
                conn.execute(table.delete())
            for _name, sql in guards:
                conn.execute(sa.text(sql))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


@pytest.fixture(scope="session")
def key_server() -> Iterator[KeyServer]:
    server = KeyServer()
    yield server
    server.close()


@pytest.fixture
def services() -> Iterator[ServiceServer]:
    """A fake platform's token endpoint and NRPS pages on 127.0.0.1."""
    server = ServiceServer()
    yield server
    server.close()


@pytest.fixture
def platform(app, key_server) -> TestPlatform:
    tp = TestPlatform(
        issuer="https://lms.example.test",
        client_id="client-abc",
        deployment_ids=["deployment-1"],
        key_server=key_server,
    )
    register(tp)
    return tp


class LtiFlow:
    """The browser's part of a launch, through the Flask test client."""

    def __init__(self, client: FlaskClient, tp: TestPlatform) -> None:
        self.client = client
        self.tp = tp
        self.state: str | None = None
        self.nonce: str | None = None

    def login(self, method: str = "POST", fixture: str | None = None, **params: str):
        data = self.tp.login_params(fixture, **params)
        if method == "GET":
            return self.client.get("/lti/login", query_string=data)
        return self.client.post("/lti/login", data=data)

    def start(self, fixture: str | None = None, **params: str) -> dict[str, str]:
        resp = self.login(fixture=fixture, **params)
        auth = parse_auth_redirect(auth_request_url(resp))
        self.state, self.nonce = auth["state"], auth["nonce"]
        return auth

    def post_launch(self, id_token: str | None, state: str | None = None, **extra: str):
        data = {"state": state if state is not None else self.state, **extra}
        if id_token is not None:
            data["id_token"] = id_token
        return self.client.post("/lti/launch", data=data)

    def launch(self, fixture: str | None = None, *, login_fixture: str | None = None,
               sign: dict[str, Any] | None = None, **claims: Any):
        """Login (if not started) then launch with a payload from ``fixture`` + ``claims``."""
        if self.state is None:
            self.start(login_fixture)
        nonce = claims.pop("nonce", self.nonce)
        body = self.tp.payload(fixture, nonce=self.nonce, **claims)
        if nonce is not self.nonce:
            body = self.tp.payload(fixture, nonce=nonce, **claims) if nonce is not REMOVE else {
                k: v for k, v in body.items() if k != "nonce"
            }
        return self.post_launch(self.tp.sign(body, **(sign or {})))


def auth_request_url(resp) -> str:  # type: ignore[no-untyped-def]
    """Where a login sends the browser: its redirect, or the page that first stores the
    state in the platform's storage (when the login offered ``lti_storage_target``)."""
    if resp.status_code == 302:
        return resp.headers["Location"]
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200, page
    assert 'data-lti-storage="put"' in page, page
    match = re.search(r'<a class="button" href="([^"]+)" data-lti-storage-next>', page)
    assert match, page
    return html.unescape(match.group(1))


def landed_in(resp) -> str:  # type: ignore[no-untyped-def]
    """Where a staff launch landed: the canonical address of the page it rendered.

    Without its session token (``_st``): the launch's page carries one in case the
    browser keeps no cookie (``lti_tool.courses.sessions``).
    """
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    match = re.search(r'<link rel="canonical" href="([^"]+)">', resp.get_data(as_text=True))
    assert match, "the launch response names no canonical address"
    return re.sub(r"[?&]_st=[^&]*$", "", html.unescape(match.group(1)))


@pytest.fixture
def lti(client, platform) -> LtiFlow:
    return LtiFlow(client, platform)
