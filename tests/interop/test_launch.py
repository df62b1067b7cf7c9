"""An LMS built on lti1p3platform, registered by CLI or admin page, launches Staffroom."""

from __future__ import annotations

import html
import re

import pytest

from tests.interop import require_platform_library

require_platform_library()

from lti_tool.courses.models import Course, Membership, Person  # noqa: E402
from lti_tool.extensions import db  # noqa: E402
from tests.admin.conftest import PASSWORD, AdminBrowser  # noqa: E402
from tests.conftest import landed_in  # noqa: E402
from tests.interop.conftest import platform_add_args, stored_platform  # noqa: E402
from tests.interop.external import (  # noqa: E402
    COURSE,
    STUDENT,
    TEACHER,
    AuthorisationRefused,
    Browser,
    ExternalLms,
)
from tests.support.platform import TOOL_BASE  # noqa: E402

STAFF_ONLY = "Staffroom is for your teachers"


def text(resp) -> str:  # type: ignore[no-untyped-def]
    return html.unescape(resp.get_data(as_text=True))


def assert_teacher_lands_on_the_dashboard(browser: Browser, lms: ExternalLms) -> None:
    resp, _ = browser.launch(lms, TEACHER)
    course = db.session.scalars(db.select(Course).filter_by(context_id=COURSE.id)).one()
    assert landed_in(resp) == f"/courses/{course.id}/"
    page = browser.client.get(landed_in(resp))
    assert page.status_code == 200, text(page)
    assert f"<h1>{COURSE.title}</h1>" in text(page)
    assert TEACHER.name in text(page)


def assert_student_gets_the_staff_only_page(browser: Browser, lms: ExternalLms) -> None:
    resp, _ = browser.launch(lms, STUDENT)
    assert resp.status_code == 200, text(resp)
    assert STAFF_ONLY in text(resp)


def assert_recorded(lms: ExternalLms) -> None:
    """Both launches were recorded against the registration, with the LMS's own values."""
    platform = stored_platform(lms)
    people = {p.sub: p for p in db.session.scalars(db.select(Person))}
    assert set(people) == {TEACHER.id, STUDENT.id}
    assert (people[TEACHER.id].name, people[TEACHER.id].email) == (TEACHER.name, TEACHER.email)
    course = db.session.scalars(db.select(Course)).one()
    assert (course.context_id, course.title, course.label) == (COURSE.id, COURSE.title,
                                                                COURSE.label)
    assert course.platform_id == platform.id
    staff = {m.person_id: m.is_staff for m in db.session.scalars(db.select(Membership))}
    assert staff == {people[TEACHER.id].id: True, people[STUDENT.id].id: False}


def test_registered_with_the_cli_it_launches_teacher_and_student(runner, lms, browser,
                                                                key_server):
    before = key_server.fetches(lms.jwks_path)
    result = runner.invoke(args=platform_add_args(lms))
    assert result.exit_code == 0, result.output
    assert f"deployment(s) {lms.deployment_id}" in result.output
    assert key_server.fetches(lms.jwks_path) == before + 1  # the CLI checked the key set

    assert_teacher_lands_on_the_dashboard(browser, lms)
    assert_student_gets_the_staff_only_page(browser, lms)
    assert_recorded(lms)


def test_registered_on_the_admin_page_it_launches_teacher_and_student(app, client, lms):
    from lti_tool.accounts import auth
    from lti_tool.extensions import limiter

    limiter.reset()
    auth.create_admin("admin", PASSWORD)
    admin = AdminBrowser(client)
    assert admin.login().status_code == 303
    form = {
        "name": lms.name,
        "issuer": lms.issuer,
        "client_id": lms.client_id,
        "auth_login_url": lms.auth_login_url,
        "auth_token_url": lms.auth_token_url,
        "auth_audience": "",
        "key_set_url": lms.key_set_url,
        "key_set": "",
        "deployment_ids": lms.deployment_id,
    }
    resp = admin.post("/admin/platforms/new", form, form_url="/admin/platforms/new")
    assert resp.status_code == 303, text(resp)
    assert [d.deployment_id for d in stored_platform(lms).deployments] == [lms.deployment_id]

    browser = Browser(app.test_client())  # the LMS user's browser, not the administrator's
    assert_teacher_lands_on_the_dashboard(browser, lms)
    assert_student_gets_the_staff_only_page(browser, lms)
    assert_recorded(lms)
    limiter.reset()


def test_the_platform_accepts_staffrooms_authorisation_request(registered, browser):
    """Our redirect is one the library's platform takes: its checks and the LMS's all pass."""
    resp = browser.login(registered.open_tool(TEACHER))
    location = resp.headers["Location"]
    assert location.startswith(registered.auth_login_url + "?")
    form = registered.authorise(location)
    assert form.action == f"{TOOL_BASE}/lti/launch"
    assert set(form.fields) == {"id_token", "state"}


def test_the_platform_refuses_a_redirect_uri_it_did_not_register(registered, browser):
    """The adapter's check is live: a tampered redirect_uri never gets an id_token."""
    resp = browser.login(registered.open_tool(TEACHER))
    location = resp.headers["Location"].replace("%2Flti%2Flaunch", "%2Fevil")
    with pytest.raises(AuthorisationRefused, match="redirect_uri .* is not registered"):
        registered.authorise(location)


def test_two_tabs_opened_one_after_the_other_both_launch(registered, browser):
    """Two pending logins in one browser: each launch finds its own state cookie."""
    first = browser.login(registered.open_tool(TEACHER, resource_link_id="rl-a"))
    second = browser.login(registered.open_tool(TEACHER, resource_link_id="rl-b"))
    forms = [registered.authorise(r.headers["Location"]) for r in (first, second)]

    assert [browser.submit(f).status_code for f in reversed(forms)] == [200, 200]


def test_deep_linking_round_trip_is_accepted_by_the_platform(registered, browser, client):
    """A teacher adds Staffroom to the course; the library verifies Staffroom's signed answer."""
    resp, _ = browser.launch(registered, TEACHER, deep_linking=True)
    assert resp.status_code == 200, text(resp)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', text(resp)).group(1)
    answer = client.post("/lti/deep-link",
                         data={"csrf_token": token, "target": "planning-course:here"})
    assert answer.status_code == 200, text(answer)
    page = text(answer)
    action = re.search(r'<form method="post" action="([^"]+)"', page).group(1)
    jwt = re.search(r'name="JWT" value="([^"]+)"', page).group(1)
    assert action == f"{registered.issuer}/lti/deep-link-return"

    items = registered.receive_deep_linking_response(jwt, client.get("/lti/jwks.json").json)

    assert [(i["type"], i["title"], i["url"]) for i in items] == [
        ("ltiResourceLink", "Planning space of this course",
         f"{TOOL_BASE}/lti/launch?target=planning-course%3Ahere")
    ]
