"""Browser fixtures: the real development server, one Chromium, a fresh context per test.

The server is ``flask demo run`` itself, started as a subprocess on a free port of
127.0.0.1 with its own instance folder (database, secret key, practice LMS key) in
a temporary directory, so the developer's ``instance/`` is never touched. The
practice LMS course page is served at ``http://localhost:<port>/demo/`` and the
tool at ``http://127.0.0.1:<port>``: two sites, so the tool runs in a cross-site
iframe with its partitioned cookies, as inside Canvas or Moodle.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.browser.pages.lms import LmsPage, ToolLaunch
from tests.browser.support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    LAPTOP,
    ProblemWatcher,
    require_chromium,
)

ADMIN_USERNAME = "browser-admin"
ADMIN_PASSWORD = "a long browser-test password"  # noqa: S105 (a throwaway test account)
START_TIMEOUT = 60.0
ROOT = Path(__file__).resolve().parents[2]
# Settings read from the environment that must not leak from the developer's shell.
FOREIGN_ENV = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "PUBLIC_BASE_URL", "FLASK_APP")


@dataclass(frozen=True)
class LiveServer:
    """The running ``flask demo run``: where the tool and the practice LMS answer."""

    port: int
    instance: Path
    log: Path

    @property
    def tool_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def lms_url(self) -> str:
        return f"http://localhost:{self.port}"

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed browser test's report carries the server's last log lines (what the tool saw)."""
    outcome = yield
    report = outcome.get_result()
    server = getattr(item, "funcargs", {}).get("live_server")
    if report.failed and isinstance(server, LiveServer) and server.log.exists():
        report.sections.append(("flask demo run (last lines of its log)", server.log_tail(60)))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in FOREIGN_ENV and not k.startswith("STAFFROOM_")
    }
    env["STAFFROOM_ENV"] = "development"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _flask(instance: Path, *args: str) -> list[str]:
    # create_app takes its instance folder from its overrides only; Flask's --app accepts a
    # factory call with literal arguments, which keeps every file of the server in `instance`.
    app = f"lti_tool:create_app({{'INSTANCE_PATH': {str(instance)!r}}})"
    return [sys.executable, "-m", "flask", "--app", app, *args]


def _wait_until_ready(server: LiveServer, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"flask demo run exited with {process.returncode}:\n{server.log_tail()}")
        try:
            with urlopen(server.tool_url + "/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    pytest.fail(f"flask demo run did not answer in {START_TIMEOUT:.0f}s:\n{server.log_tail()}")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[LiveServer]:
    """``flask demo run --port <free port>`` on its own temporary data, for the whole session."""
    root = tmp_path_factory.mktemp("browser-server")
    instance = root / "instance"
    server = LiveServer(port=_free_port(), instance=instance, log=root / "server.log")
    # `flask demo run` brings the new database up to date itself, as `make run` relies on.
    with server.log.open("w") as log:
        process = subprocess.Popen(
            _flask(instance, "demo", "run", "--port", str(server.port)),
            env=_server_env(), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_ready(server, process)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Debian Chromium for the session (Playwright's own build is not used)."""
    require_chromium()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


ContextFactory = Callable[..., BrowserContext]


@pytest.fixture
def watcher() -> ProblemWatcher:
    return ProblemWatcher()


@pytest.fixture
def new_context(browser: Browser, watcher: ProblemWatcher) -> Iterator[ContextFactory]:
    """Make fresh browser contexts (own cookies, own partitions), watched for problems.

    Every context of the test reports to the same watcher, which fails the test at the
    end on any JavaScript error, failed request or unexpected HTTP error status.
    """
    contexts: list[BrowserContext] = []

    def make(**options) -> BrowserContext:
        options.setdefault("viewport", LAPTOP)
        context = browser.new_context(**options)
        # Waits for a page or a navigation: generous, for a busy 2-core CI machine where a
        # launch (the OIDC login, the storage page, the launch, the hand-off) takes several
        # round trips; what must appear still has to appear.
        context.set_default_timeout(20_000)
        watcher.attach(context)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    watcher.check()


@pytest.fixture
def context(new_context: ContextFactory) -> BrowserContext:
    return new_context()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def lms(page: Page, live_server: LiveServer) -> LmsPage:
    return LmsPage(page, live_server.lms_url, live_server.tool_url)


Launcher = Callable[..., ToolLaunch]


@pytest.fixture
def launch(page: Page, live_server: LiveServer) -> Launcher:
    """``launch(role, course)``: open the practice LMS and launch someone into the course frame.

    ``role`` is a practice roster role (``"teacher"``, ``"teaching assistant"``,
    ``"learner"``) or a roster user id; ``nth`` picks among people of that role. Pass
    ``page=`` to launch in another page (another context: another person's browser).
    Returns the LMS page, the tool's Frame and its FrameLocator.
    """

    def do_launch(role: str, course: str | None = None, *, nth: int = 0, on: Page | None = None):
        lms = LmsPage(on or page, live_server.lms_url, live_server.tool_url)
        return lms.launch(lms.member(role, nth), course=course)

    return do_launch


@pytest.fixture(scope="session")
def admin_credentials(live_server: LiveServer) -> tuple[str, str]:
    """The first administrator, created as the README says: ``flask admin create``."""
    args = ("admin", "create", "--username", ADMIN_USERNAME, "--password", ADMIN_PASSWORD)
    done = subprocess.run(  # noqa: PLW1510 (checked below, with the output in the message)
        _flask(live_server.instance, *args), env=_server_env(), cwd=ROOT,
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, f"flask admin create failed:\n{done.stdout}{done.stderr}"
    return ADMIN_USERNAME, ADMIN_PASSWORD
