"""Journeys from a practice LMS launch: who lands where, inside the cross-site iframe."""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode, urlsplit

import pytest
from flask import Flask
from playwright.sync_api import expect

from lti_tool import create_app
from lti_tool.demo import roster
from tests.browser.pages.dashboard import DashboardPage, StaffOnlyPage
from tests.browser.pages.lms import LmsPage
from tests.browser.support import require_chromium

require_chromium()
pytestmark = pytest.mark.browser


def _hosts(launched) -> tuple[str | None, str | None]:
    return urlsplit(launched.page.url).hostname, urlsplit(launched.frame.url).hostname


@pytest.mark.parametrize("role", ["teacher", "teaching assistant"])
def test_staff_land_on_the_course_dashboard_inside_the_lms_frame(launch, role):
    launched = launch(role, roster.COURSE.title)
    dashboard = DashboardPage(launched.frame)

    expect(dashboard.heading).to_have_text(roster.COURSE.title)
    expect(dashboard.whoami).to_have_text(launched.member.name)
    assert launched.member.name in dashboard.team_names()
    assert launched.frame_path == f"/courses/{launched.course_id}/"
    # A real cross-site frame: the LMS on localhost, the tool on 127.0.0.1.
    assert _hosts(launched) == ("localhost", "127.0.0.1")


def test_reloading_the_landing_page_shows_the_dashboard_again(launch):
    """The launch answers with the dashboard itself; the frame's address is then the
    dashboard's, so a reload is a GET of it, not a second use of the launch's id_token
    (which the tool would refuse as a replay)."""
    launched = launch("teacher", roster.COURSE.title)
    assert launched.frame_path == f"/courses/{launched.course_id}/"
    with launched.frame.expect_navigation():
        launched.frame.evaluate("location.reload()")
    dashboard = DashboardPage(launched.frame)
    expect(dashboard.heading).to_have_text(roster.COURSE.title)
    assert launched.frame_path == f"/courses/{launched.course_id}/"
    expect(launched.frame.locator("body")).not_to_contain_text("already used")


ARGUMENT = re.compile(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>")


def staff_paths(course_id: int) -> list[str]:
    """Every GET page of the course area, with made-up values for any other parameter.

    Read from the app's URL map, so each feature added under ``/courses/<id>/`` is
    covered here without touching this test.
    """
    app: Flask = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    paths = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/courses/<int:course_id>") or "GET" not in rule.methods:
            continue
        values: dict[str, object] = {"course_id": course_id}
        for converter, args, name in ARGUMENT.findall(rule.rule):
            if name == "course_id":
                continue
            if converter in {"int", "float"}:
                values[name] = 1
            elif converter == "any":
                values[name] = args.split(",")[0].strip().strip("'\"")
            else:
                values[name] = "x"
        paths.append(urlsplit(rule.build(values, append_unknown=False)[1]).path)
    assert paths, "the course area has no GET page"
    return paths


def test_a_learner_gets_the_staff_only_page_and_no_staff_url(
    new_context, launch, watcher, live_server
):
    teacher_page = new_context().new_page()
    course_id = launch("teacher", on=teacher_page).course_id

    launched = launch("learner")
    page = StaffOnlyPage(launched.frame)
    expect(page.heading).to_have_text(StaffOnlyPage.TITLE)
    expect(launched.frame.locator("main")).to_contain_text(launched.member.given_name)
    assert _hosts(launched) == ("localhost", "127.0.0.1")

    for path in staff_paths(course_id):
        with watcher.expect_status(403, path):
            response = launched.frame.goto(live_server.tool_url + path)
        assert response is not None, path
        assert response.status == 403, path
        expect(page.heading).to_have_text(StaffOnlyPage.TITLE)
        assert launched.member.name not in launched.frame.content()


def test_two_teachers_in_two_browsers_meet_in_the_course_team(new_context, launch):
    first_teacher, second_teacher = roster.members(roster.Role.TEACHER)[:2]
    first = launch(first_teacher.user_id, on=new_context().new_page())
    second = launch(second_teacher.user_id, on=new_context().new_page())

    second_dashboard = DashboardPage(second.frame)
    assert {first_teacher.name, second_teacher.name} <= set(second_dashboard.team_names())

    first_dashboard = DashboardPage(first.frame)
    first_dashboard.reload()
    expect(first_dashboard.whoami).to_have_text(first_teacher.name)
    assert {first_teacher.name, second_teacher.name} <= set(first_dashboard.team_names())
    assert first.course_id == second.course_id


def launch_error_url(tool_url: str) -> str:
    """A login from an LMS the tool does not know: the tool refuses with its error page."""
    query = urlencode(
        {
            "iss": "https://unregistered-lms.example",
            "client_id": "unknown-client",
            "login_hint": "1001",
            "target_link_uri": f"{tool_url}/lti/launch",
        }
    )
    return f"{tool_url}/lti/login?{query}"


def test_a_refused_launch_shows_the_error_page_inside_the_frame(launch, live_server, watcher):
    launched = launch("teacher")
    with watcher.expect_status(400, "/lti/login"):
        response = launched.frame.goto(launch_error_url(live_server.tool_url))
    assert response is not None
    assert response.status == 400
    expect(launched.frame.locator("main h1")).to_have_text("Staffroom could not be opened")
    expect(launched.frame.get_by_role("alert")).to_contain_text("unregistered-lms.example")
    expect(launched.frame.locator(".error-code code")).not_to_be_empty()


def test_the_course_home_offers_every_staff_member(lms: LmsPage):
    lms.open_course_home()
    for member in roster.featured():
        expect(lms.page.get_by_role("link", name=member.launch_label)).to_be_visible()


def test_a_page_of_the_lms_site_cannot_frame_a_course_page_directly(
    launch, live_server, watcher
):
    """Anyone who can edit an LMS page (a pupil in a discussion) could embed a Staffroom
    address in an <iframe>. In the LMS's cookie partition that frame would carry the
    teacher's session. Chromium tells the tool where such a frame's request comes from
    (Sec-Fetch-Site, Sec-Fetch-Dest), and the tool answers it with nothing of the course.

    (The embedding page here is on the LMS's site, localhost, but on another port than
    the practice LMS, so the frame-ancestors policy blocks the frame as well.)"""
    launched = launch("teacher", roster.COURSE.title)
    page = launched.page
    path = f"/courses/{launched.course_id}/"
    course_url = live_server.tool_url + path
    body = f'<!doctype html><title>Post</title><iframe src="{course_url}"></iframe>'.encode()

    class Post(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Post)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with watcher.expect_status(403, path), page.expect_response(course_url) as framed:
            page.goto(f"http://localhost:{server.server_address[1]}/a-discussion-post")
        response = framed.value
        assert response.status == 403
        assert response.request.all_headers().get("sec-fetch-site") == "cross-site"
        # (Its body, "Open Staffroom from your course", is checked in tests/courses.)
        page.wait_for_timeout(200)  # let Chromium report the frame-ancestors block
        watcher.caused_on_purpose(path, "ERR_BLOCKED_BY_RESPONSE", "frame-ancestors")
        watcher.caused_on_purpose("127.0.0.1", "frame-ancestors")
    finally:
        server.shutdown()
        server.server_close()
