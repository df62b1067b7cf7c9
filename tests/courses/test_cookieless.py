"""Launching and working when the browser keeps no cookie in the LMS frame (issue 14).

A browser here is a test client that keeps no cookie at all (Safari in a cross-site
iframe). The launch's state goes through the LMS's client-side storage (checklist
P1-P3); after the launch, the session is a signed token the tool's own pages carry
(``lti_tool.courses.sessions``).
"""

from __future__ import annotations

import html
import re
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from lti_tool.cache import get_cache
from lti_tool.courses import sessions
from lti_tool.extensions import db
from lti_tool.planning.models import Plan
from tests.conftest import LtiFlow, auth_request_url
from tests.lti.helpers import assert_refused
from tests.support.platform import parse_auth_redirect
from tests.tasks.helpers import (
    COURSE_1,
    COURSE_2,
    INSTRUCTOR,
    course_space,
    launch,
    person,
    task,
)

TOOL = "https://tool.example.org"
LMS = "https://lms.example.test"
META = re.compile(r'<meta name="staffroom-session" content="([^"]+)"')
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def token_of(resp) -> str:  # type: ignore[no-untyped-def]
    match = META.search(resp.get_data(as_text=True))
    assert match, resp.get_data(as_text=True)[:800]
    return match.group(1)


def href(page: str, text: str) -> str:
    """The address of the link whose text is ``text``."""
    match = re.search(r'<a [^>]*href="([^"]+)"[^>]*>' + re.escape(text) + "</a>", page)
    assert match, page
    return html.unescape(match.group(1))


class Cookieless:
    """A browser that keeps no cookie in the LMS frame, with a platform offering storage."""

    def __init__(self, app, platform) -> None:  # type: ignore[no-untyped-def]
        self.client: FlaskClient = app.test_client(use_cookies=False)
        self.flow = LtiFlow(self.client, platform)
        self.platform = platform
        self.storage: dict[str, str] = {}  # what the LMS's page keeps for the tool

    def login(self, **params: str) -> None:
        resp = self.flow.login(lti_storage_target="_parent", **params)
        page = resp.get_data(as_text=True)
        assert 'data-lti-storage="put"' in page, page
        auth = parse_auth_redirect(auth_request_url(resp))
        self.flow.state, self.flow.nonce = auth["state"], auth["nonce"]
        # What lti-storage.js stores with lti.put_data before going on.
        self.storage = {f"lti_state_{auth['state']}": auth["state"],
                        f"lti_nonce_{auth['nonce']}": auth["nonce"]}

    def launch(self, sub: str = "amara", name: str = "Amara Okafor",
               context: dict[str, str] | None = None, origin: str = TOOL,
               stored: dict[str, str] | None = None, tamper=None,
               **claims):  # type: ignore[no-untyped-def]
        """The launch POST, then (no cookie came back) the storage page's second POST.

        ``stored`` replaces what the LMS's storage answers; ``tamper`` changes it.
        """
        self.login()
        body = self.platform.payload(nonce=self.flow.nonce, sub=sub, name=name,
                                     roles=[INSTRUCTOR], context=context or COURSE_1, **claims)
        id_token = self.platform.sign(body)
        first = self.flow.post_launch(id_token)
        page = first.get_data(as_text=True)
        assert first.status_code == 200, page
        assert 'data-lti-storage="get"' in page
        values = self.storage if stored is None else stored
        if tamper is not None:
            values = tamper(values)
        return self.client.post("/lti/launch", headers={"Origin": origin}, data={
            "id_token": id_token, "state": self.flow.state, "lti_storage_check": "1",
            "lti_storage_state": values.get(f"lti_state_{self.flow.state}", ""),
            "lti_storage_nonce": values.get(f"lti_nonce_{self.flow.nonce}", ""),
        })


@pytest.fixture
def safari(app, platform) -> Cookieless:
    return Cookieless(app, platform)


# --- the launch's state through the LMS's storage (P1-P3) ------------------------------------

def test_p1_login_uses_the_platform_storage_only_when_offered(lti):
    plain = lti.login()
    assert plain.status_code == 302  # no lti_storage_target: the cookie alone
    offered = lti.login(lti_storage_target="post_message_forwarding")
    page = offered.get_data(as_text=True)
    assert offered.status_code == 200
    assert 'data-target="post_message_forwarding"' in page
    # The state cookie is still set: where it comes back, it is the proof (see below).
    assert "lti1p3-" in offered.headers["Set-Cookie"]
    assert "Partitioned" in offered.headers["Set-Cookie"]


def test_p1_a_storage_target_that_is_not_a_frame_name_is_not_used(lti):
    assert lti.login(lti_storage_target="x" * 65).status_code == 400  # L2: over its limit
    resp = lti.login(lti_storage_target="../evil frame")
    assert resp.status_code == 302  # ignored: the cookie alone


def test_p2_messages_go_to_the_auth_endpoints_origin_never_star(lti):
    page = lti.login(lti_storage_target="_parent").get_data(as_text=True)
    assert f'data-origin="{LMS}"' in page
    script = open("lti_tool/static/lti-storage.js").read()  # noqa: PTH123, SIM115
    assert "postMessage(message, origin)" in script
    assert "event.origin !== origin" in script  # answers only from the LMS's origin
    assert "data.message_id" in script  # and only to our own request
    assert '"*"' not in script


def test_p1_the_cookie_stays_first_when_it_comes_back(lti):
    lti.start(lti_storage_target="_parent")
    resp = lti.launch()
    assert "Biology Year 7" in resp.get_data(as_text=True)  # no storage round: the dashboard


def test_p3_launch_through_the_platform_storage_without_any_cookie(safari):
    resp = safari.launch()
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200, page
    assert '<span class="whoami">Amara Okafor</span>' in page
    assert "Set-Cookie" in resp.headers  # offered, and dropped by this browser
    assert token_of(resp)


def test_p3_a_state_the_storage_does_not_hold_is_refused(safari):
    resp = safari.launch(stored={})
    assert_refused(resp, 401, "P3", "the LMS's storage did not confirm this launch")
    assert "/lti/resume/" in resp.get_data(as_text=True)  # the new tab is offered


@pytest.mark.parametrize("which", ["state", "nonce"])
def test_p3_storage_values_must_equal_the_logins(safari, which):
    resp = safari.launch(tamper=lambda stored: {
        k: ("forged" if k.startswith(f"lti_{which}_") else v) for k, v in stored.items()})
    assert_refused(resp, 401, "P3", f"the {which} in the LMS's storage is not the one")


def test_p3_a_storage_check_posted_by_another_site_is_refused(safari):
    resp = safari.launch(origin="https://evil.example")
    assert_refused(resp, 401, "P3", "not sent by this tool's own page")


def test_v1_the_state_stays_single_use_on_the_storage_path(safari):
    assert safari.launch().status_code == 200
    again = safari.client.post("/lti/launch", headers={"Origin": TOOL}, data={
        "id_token": "x.y.z", "state": safari.flow.state, "lti_storage_check": "1",
        "lti_storage_state": safari.flow.state, "lti_storage_nonce": safari.flow.nonce})
    assert again.status_code == 401


# --- the new tab, where neither works ----------------------------------------------------------

def test_new_tab_resumes_the_same_launch_once(app, platform, client):
    blocked = LtiFlow(app.test_client(use_cookies=False), platform)
    blocked.start(lti_message_hint="deep-target-7")
    resp = blocked.launch(sub="amara", name="Amara Okafor", roles=[INSTRUCTOR], context=COURSE_1)
    page = html.unescape(resp.get_data(as_text=True))
    assert resp.status_code == 401
    link = re.search(r'href="(https://tool\.example\.org/lti/resume/[^"]+)" target="_blank"', page)
    assert link, page
    path = urlsplit(link.group(1)).path
    # The new tab (its own cookies) starts the same login: same person, link and target.
    restart = client.get(path)
    auth = parse_auth_redirect(restart.headers["Location"])
    assert auth["lti_message_hint"] == "deep-target-7"
    assert auth["login_hint"] == platform.login_params()["login_hint"]
    assert "lti_storage_target" not in restart.headers["Location"]
    tab = LtiFlow(client, platform)
    tab.state, tab.nonce = auth["state"], auth["nonce"]
    landed = tab.launch(sub="amara", name="Amara Okafor", roles=[INSTRUCTOR], context=COURSE_1)
    assert '<span class="whoami">Amara Okafor</span>' in landed.get_data(as_text=True)
    assert client.get(path).status_code == 410  # one time only
    assert client.get("/lti/resume/" + "x" * 80).status_code == 410


def test_new_tab_handle_expires(app, platform, client, monkeypatch):
    blocked = LtiFlow(app.test_client(use_cookies=False), platform)
    blocked.start()
    page = html.unescape(blocked.launch().get_data(as_text=True))
    handle = re.search(r"/lti/resume/([^\"]+)", page).group(1)
    get_cache().delete("lti-resume:" + handle)  # what RESUME_TTL does after five minutes
    assert client.get("/lti/resume/" + handle).status_code == 410


# --- the session token --------------------------------------------------------------------------

def test_a_whole_visit_without_cookies_saves_a_plan(safari):
    launched = safari.launch()
    dashboard = launched.get_data(as_text=True)
    # session-token.js adds the token to the link when it is followed.
    space = safari.client.get(href(dashboard, "Open the course planning space"),
                              query_string={"_st": token_of(launched)})
    assert space.status_code == 200
    address = (f"/courses/1/spaces/{course_space().id}/plans/new?template=builtin:unit"
               f"&_st={token_of(space)}")
    form_page = safari.client.get(address).get_data(as_text=True)
    assert '<form method="post" class="plan-form"' in form_page  # posts to its own address
    action = address
    saved = safari.client.post(action, data={
        "csrf_token": CSRF.search(form_page).group(1), "title": "Forces unit", "kind": "unit",
        "starts_on": "", "ends_on": "", "course_id": "", "parent_id": "", "objectives": "",
        "tags": "", "body": "Push and pull", "version": "", "draft_key": "new-unit"})
    assert saved.status_code == 303, saved.get_data(as_text=True)
    assert "_st=" in saved.headers["Location"]  # the redirect keeps the session
    shown = safari.client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "“Forces unit” is created." in shown  # the message survived the redirect
    plan = db.session.scalars(sa.select(Plan)).one()
    assert (plan.title, plan.created_by_id) == ("Forces unit", person("amara").id)


def test_csrf_protection_stays_on_in_a_token_session(safari):
    token = token_of(safari.launch())
    resp = safari.client.post(f"/courses/1/spaces/{course_space().id}/plans/new?_st={token}",
                              data={"title": "No token", "kind": "unit"})
    assert resp.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(Plan.id))) == 0


def test_background_requests_send_the_token_in_a_header_and_get_it_renewed(safari):
    token = token_of(safari.launch())
    page = safari.client.get(f"/courses/1/spaces/{course_space().id}/plans/new"
                             f"?template=builtin:unit&_st={token}").get_data(as_text=True)
    resp = safari.client.post(
        f"/courses/1/spaces/{course_space().id}/drafts",
        json={"plan_key": "new-unit", "base_version": None, "data": {"body": "typing…"}},
        headers={"X-CSRFToken": CSRF.search(page).group(1), sessions.TOKEN_HEADER: token})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    renewed = resp.headers[sessions.TOKEN_HEADER]
    assert sessions.read_token(renewed)["p"] == person("amara").id
    assert resp.headers["Referrer-Policy"] == "same-origin"


def _old_token(claims: dict[str, object], seconds_ago: int, secret: str) -> str:
    class Earlier(TimestampSigner):
        def get_timestamp(self) -> int:
            return super().get_timestamp() - seconds_ago

    return URLSafeTimedSerializer(secret, salt=sessions.SALT, signer=Earlier).dumps(claims)


def test_an_expired_token_is_refused_and_the_text_is_given_back(app, safari):
    token = token_of(safari.launch())
    claims = sessions.read_token(token)
    assert claims is not None
    max_age = app.config["SESSION_TOKEN_MAX_AGE"]
    fresh_enough = _old_token(claims, max_age - 60, app.secret_key)
    assert safari.client.get(f"/courses/1/?_st={fresh_enough}").status_code == 200
    expired = _old_token(claims, max_age + 1, app.secret_key)
    assert safari.client.get(f"/courses/1/?_st={expired}").status_code == 401
    resp = safari.client.post(f"/courses/1/spaces/{course_space().id}/plans/new?_st={expired}",
                              data={"title": "Forces", "body": "My careful unit plan"})
    assert resp.status_code == 401
    page = html.unescape(resp.get_data(as_text=True))
    assert "Open Staffroom from your course" in page
    assert "My careful unit plan" in page  # given back to copy
    assert expired not in page


def test_a_token_ends_with_its_launch_record(safari):
    token = token_of(safari.launch())
    assert safari.client.get(f"/courses/1/?_st={token}").status_code == 200
    get_cache().delete(sessions.RECORD + sessions.read_token(token)["l"])
    assert safari.client.get(f"/courses/1/?_st={token}").status_code == 401


@pytest.mark.parametrize("tamper", ["claims", "signature", "garbage"])
def test_a_tampered_token_is_refused(safari, tamper):
    token = token_of(safari.launch())
    payload, stamp, signature = token.split(".")
    if tamper == "claims":
        other = URLSafeTimedSerializer("another secret", salt=sessions.SALT).dumps(
            {**sessions.read_token(token), "p": 999})
        token = other.split(".")[0] + f".{stamp}.{signature}"
    elif tamper == "signature":
        token = f"{payload}.{stamp}.{signature[:-2]}AA"
    else:
        token = "not-a-token"
    assert sessions.read_token(token) is None
    assert safari.client.get(f"/courses/1/?_st={token}").status_code == 401


def test_a_token_is_refused_in_another_course(app, platform):
    browser = Cookieless(app, platform)
    first = token_of(browser.launch(context=COURSE_1))
    second = token_of(browser.launch(context=COURSE_2))
    assert browser.client.get(f"/courses/1/?_st={first}").status_code == 200
    assert browser.client.get(f"/courses/2/?_st={second}").status_code == 200
    # Amara is a teacher of both, but each token opens its own course only.
    assert browser.client.get(f"/courses/2/?_st={first}").status_code == 401
    assert browser.client.get(f"/courses/1/tasks/?_st={second}").status_code == 401


def test_a_token_of_the_previous_person_is_refused_after_someone_else_launched(app, platform):
    amara = Cookieless(app, platform)
    token = token_of(amara.launch(sub="amara", name="Amara Okafor"))
    # The same computer, where cookies do work for the next person: Tomasz launches.
    shared = launch(app, platform, sub="tomasz", name="Tomasz Nowak")
    resp = shared.post(f"/courses/1/spaces/{course_space().id}/plans/new?_st={token}",
                       data={"title": "Amara's unit", "body": "Amara's careful plan"})
    page = html.unescape(resp.get_data(as_text=True))
    assert resp.status_code == 409
    assert re.search(r"Tomasz Nowak opened Staffroom in this browser after\s+Amara Okafor",
                     re.sub("</?strong>", "", page))
    assert "Amara's careful plan" in page
    assert db.session.scalar(sa.select(sa.func.count(Plan.id))) == 0  # saved as nobody
    assert "Tomasz Nowak" in shared.get("/courses/1/").get_data(as_text=True)  # his session


def test_the_cookie_session_stays_first_and_then_pages_carry_no_token(app, platform, client):
    resp = launch(app, platform, client=client)  # a browser that keeps cookies
    page = client.get("/courses/1/").get_data(as_text=True)
    assert resp is client
    assert 'name="staffroom-session"' not in page
    assert "_st=" not in page


def test_the_token_is_named_once_per_page_and_in_no_address(app, platform, client):
    presentation = {"document_target": "iframe", "return_url": f"{LMS}/course/1?sesskey=abc"}
    resp = LtiFlow(client, platform).launch(sub="amara", name="Amara Okafor", roles=[INSTRUCTOR],
                                            context=COURSE_1, launch_presentation=presentation)
    page = html.unescape(resp.get_data(as_text=True))
    token = token_of(resp)
    assert page.count(token) == 1  # the <meta>: the script adds it to the course's addresses
    assert '<meta name="staffroom-session" content="' + token + '" data-scope="/courses/1/">' \
        in page
    assert f'<a class="back-to-course" href="{LMS}/course/1?sesskey=abc" target="_top">' in page
    assert resp.headers["Referrer-Policy"] == "same-origin"  # no address leaves with it
    script = open("lti_tool/static/session-token.js").read()  # noqa: PTH123, SIM115
    assert "url.pathname.indexOf(scope) !== 0" in script  # only the course's own addresses
    assert "if (!ours(url)) { return originalFetch.apply(this, arguments); }" in script


# --- return URL, frame resize, dates ------------------------------------------------------------

@pytest.mark.parametrize(("return_url", "shown"), [
    (f"{LMS}/course/view.php?id=4", True),
    ("https://evil.example/phish", False),  # not a site of this platform
    ("javascript:alert(1)", False),
    ("ftp://lms.example.test/x", False),
])
def test_return_url_gives_a_back_to_the_course_link_on_the_platforms_site_only(
        app, platform, client, return_url, shown):
    presentation = {"document_target": "iframe", "return_url": return_url}
    LtiFlow(client, platform).launch(sub="amara", name="Amara Okafor", roles=[INSTRUCTOR],
                                     context=COURSE_1, launch_presentation=presentation)
    page = client.get("/courses/1/").get_data(as_text=True)
    assert ("Back to the course" in page) is shown
    if shown:
        assert f'href="{html.escape(return_url)}" target="_top"' in page
        assert f'data-frame-origin="{LMS}"' in page


def test_every_page_asks_the_lms_to_fit_the_frame(safari):
    page = safari.launch().get_data(as_text=True)
    assert '<script src="/static/frame-resize.js" defer></script>' in page
    script = open("lti_tool/static/frame-resize.js").read()  # noqa: PTH123, SIM115
    assert 'subject: "lti.frameResize"' in script
    assert "window.parent.postMessage" in script


def test_dates_follow_the_launch_locale_in_a_token_session(app, platform):
    browser = Cookieless(app, platform)
    token = token_of(browser.launch(launch_presentation={"document_target": "iframe",
                                                         "locale": "de"}))
    task(course_space(), "Mark the tests", person("amara"), date(2030, 3, 31))
    page = browser.client.get(f"/courses/1/tasks/?_st={token}").get_data(as_text=True)
    assert 'Due <time datetime="2030-03-31">31.03.2030</time>' in page
    assert '<html lang="de">' in page


def test_a_token_in_an_address_is_read_from_query_header_or_form(safari):
    token = token_of(safari.launch())
    assert safari.client.get("/courses/1/", headers={sessions.TOKEN_HEADER: token}).status_code \
        == 200
    query = parse_qs(urlsplit(f"/courses/1/?_st={token}").query)
    assert query["_st"] == [token]
    assert safari.client.get("/courses/1/").status_code == 401  # nothing: not launched


def test_the_observation_autosave_works_in_a_token_session(app, platform):
    from tests.observations.conftest import Person, move, observation, start

    amara = Person(app, platform, "teacher-1", "Amara Okafor", [INSTRUCTOR], COURSE_1)
    tomasz = Person(app, platform, "teacher-2", "Tomasz Nowak", [INSTRUCTOR], COURSE_1)
    oid = start(amara, tomasz.sub)
    assert move(tomasz, oid, "scheduled").status_code == 303
    assert move(tomasz, oid, "in_progress").status_code == 303
    # Tomasz, in the lesson, on a tablet whose browser keeps no cookie in the frame.
    tablet = Cookieless(app, platform)
    token = token_of(tablet.launch(sub="teacher-2", name="Tomasz Nowak"))
    lesson = tablet.client.get(f"/courses/1/observations/{oid}/lesson?_st={token}")
    assert lesson.status_code == 200, lesson.get_data(as_text=True)[:500]
    resp = tablet.client.post(
        f"/courses/1/observations/{oid}/autosave",
        json={"version": observation(oid).version, "notes": [
            {"key": "n1", "tag": "strength", "body": "Cold-calling drew in the back row",
             "at": "2026-12-01T09:05:00Z"}], "ratings": {}, "answers": {}},
        headers={"X-CSRFToken": CSRF.search(lesson.get_data(as_text=True)).group(1),
                 sessions.TOKEN_HEADER: token})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert [n.body for n in observation(oid).notes] == ["Cold-calling drew in the back row"]


def test_a_token_in_an_address_opened_outside_the_frame_is_refused(app, safari):
    """An address with a token, pasted into a tab or sent to a colleague, is no session:
    the browser says the navigation is a document of its own (Sec-Fetch-Dest), not the
    LMS's frame, and that tab gets "Open Staffroom from your course" (no session moves)."""
    token = token_of(safari.launch())
    in_frame = safari.client.get(f"/courses/1/?_st={token}", headers={"Sec-Fetch-Dest": "iframe"})
    assert in_frame.status_code == 200
    for dest in ("document", "empty", "image"):
        elsewhere = app.test_client(use_cookies=False).get(
            f"/courses/1/?_st={token}", headers={"Sec-Fetch-Dest": dest})
        assert elsewhere.status_code == 401, dest
        assert "Open Staffroom from your course" in elsewhere.get_data(as_text=True)
    # A script's request names the token in its header: that stays its session.
    assert safari.client.get("/courses/1/", headers={
        sessions.TOKEN_HEADER: token, "Sec-Fetch-Dest": "empty"}).status_code == 200
    script = open("lti_tool/static/session-token.js").read()  # noqa: PTH123, SIM115
    assert 'addEventListener("auxclick"' not in script  # a middle click opens a tab of its own


def test_no_page_names_the_token_in_its_html_nor_remembers_it(app, safari):
    """Page 2 of "My tasks" names its own address in its forms (come back here): without
    the token. The page remembered for after the next launch is kept without it too."""
    from lti_tool.courses import targets

    token = token_of(safari.launch())
    me, space = person("amara"), course_space()
    for number in range(60):
        task(space, f"Task {number}", me)
    page = safari.client.get(f"/courses/1/tasks/?page=2&_st={token}")
    assert page.status_code == 200, page.get_data(as_text=True)[:300]
    text = page.get_data(as_text=True)
    assert "Task" in text
    # The page's token (renewed or not) is named once, in the <meta>; no address names any.
    assert text.count(token_of(page)) == 1
    assert "_st" not in text
    with app.test_request_context(f"/courses/1/tasks/?page=2&_st={token}"):
        from flask import make_response

        response = targets.remember_requested_path(
            make_response("x"), 1, targets.requested_path(1))
    cookie = response.headers.get("Set-Cookie", "")
    assert targets.RESUME_COOKIE in cookie
    assert token not in cookie
    value = cookie.split(";")[0].split("=", 1)[1]
    assert targets._serializer().loads(value)["p"] == "/courses/1/tasks/?page=2"


def test_the_deep_linking_picker_works_without_any_cookie(safari):
    """Placing content from Safari: the picker's pending request lives in the token session."""
    dl = "https://purl.imsglobal.org/spec/lti-dl/claim/"
    back = LMS + "/deep_linking_response"
    picker = safari.launch(message_type="LtiDeepLinkingRequest", resource_link=None, **{
        dl + "deep_linking_settings": {"deep_link_return_url": back,
                                       "accept_types": ["ltiResourceLink"],
                                       "accept_multiple": True, "data": "keep-me"}})
    body = picker.get_data(as_text=True)
    assert picker.status_code == 200, body[:800]
    target = re.search(r'name="target"\s+value="([^"]+)"', body).group(1)
    answer = safari.client.post(f"/lti/deep-link?_st={token_of(picker)}", data={
        "csrf_token": CSRF.search(body).group(1), "target": target})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200, page[:800]
    assert f'action="{back}"' in page
    assert 'name="JWT"' in page
    # Without the token, no cookie says who is asking (nor holds the form's token).
    again = safari.client.post("/lti/deep-link", data={
        "csrf_token": CSRF.search(body).group(1), "target": target})
    assert again.status_code == 400
    assert 'name="JWT"' not in again.get_data(as_text=True)
