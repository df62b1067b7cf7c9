"""Who may use the admin page: login, logout, rate limiting, CSRF, no default account."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from lti_tool.accounts import auth
from lti_tool.extensions import db
from lti_tool.lti import keys
from lti_tool.lti.models import Platform
from tests.admin.conftest import PASSWORD, AdminBrowser, page_text

# Every admin URL but the login form; {platform}, {deployment}, {kid}, {template} and
# {invitation} are filled in.
PROTECTED = [
    ("GET", "/admin/"),
    ("GET", "/admin/platforms/new"),
    ("POST", "/admin/platforms/new"),
    ("GET", "/admin/platforms/{platform}/edit"),
    ("POST", "/admin/platforms/{platform}/edit"),
    ("POST", "/admin/platforms/{platform}/disable"),
    ("POST", "/admin/platforms/{platform}/enable"),
    ("GET", "/admin/platforms/{platform}/delete"),
    ("POST", "/admin/platforms/{platform}/delete"),
    ("GET", "/admin/platforms/{platform}/deployments"),
    ("POST", "/admin/platforms/{platform}/deployments"),
    ("POST", "/admin/platforms/{platform}/deployments/{deployment}/remove"),
    ("GET", "/admin/setup"),
    ("GET", "/admin/setup/moodle"),
    ("POST", "/admin/setup/invitations"),
    ("POST", "/admin/setup/invitations/{invitation}/withdraw"),
    ("POST", "/admin/platforms/{platform}/activate"),
    ("GET", "/admin/keys"),
    ("POST", "/admin/keys/generate"),
    ("POST", "/admin/keys/{kid}/retire"),
    ("POST", "/admin/logout"),
    ("GET", "/admin/observation-forms"),
    ("GET", "/admin/observation-forms/new"),
    ("POST", "/admin/observation-forms/new"),
    ("GET", "/admin/observation-forms/{template}/edit"),
    ("POST", "/admin/observation-forms/{template}/edit"),
    ("POST", "/admin/observation-forms/{template}/archive"),
    ("GET", "/admin/notes-audit"),
    ("GET", "/admin/learners"),
    ("GET", "/admin/learners/{learner}/export.json"),
    ("GET", "/admin/learners/{learner}/export.pdf"),
    ("GET", "/admin/learners/{learner}/erase"),
    ("POST", "/admin/learners/{learner}/erase"),
]


def test_the_list_of_protected_urls_covers_every_admin_route(app):
    rules = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("admin.") and rule.endpoint != "admin.login"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    listed = {
        (method, url.replace("{platform}", "<int:platform_id>")
         .replace("{deployment}", "<int:deployment_pk>").replace("{kid}", "<kid>")
         .replace("{template}", "<int:template_id>")
         .replace("{invitation}", "<int:invitation_id>")
         .replace("{learner}", "<int:learner_id>"))
        for method, url in PROTECTED
    }
    assert rules == listed


@pytest.mark.parametrize(("method", "url"), PROTECTED)
def test_every_admin_page_requires_login(app, browser, platform, method, url):
    stored = db.session.scalars(db.select(Platform)).one()
    kid = keys.signing_key().kid
    url = url.format(platform=stored.id, deployment=stored.deployments[0].id, kid=kid,
                     template=1, invitation=1, learner=1)
    count_keys = len(keys.active_keys())

    if method == "GET":
        resp = browser.get(url)
    else:
        resp = browser.post(url, {"name": "changed", "deployment_id": "new"},
                            form_url="/admin/login")

    assert resp.status_code == 303
    location = urlsplit(resp.headers["Location"])
    assert location.path == "/admin/login"
    if method == "GET":
        assert parse_qs(location.query)["next"] == [url]
    db.session.expire_all()
    assert db.session.get(Platform, stored.id).name == "Test LMS"
    assert db.session.get(Platform, stored.id).active
    assert len(stored.deployments) == 1
    assert len(keys.active_keys()) == count_keys


def test_login_then_every_page_opens_and_logout_ends_the_session(browser, admin_user, platform):
    resp = browser.login()
    assert resp.status_code == 303
    assert urlsplit(resp.headers["Location"]).path == "/admin/"
    with browser.client.session_transaction() as session:
        assert session["admin_id"] == admin_user.id
    assert browser.get("/admin/").status_code == 200
    assert "Signed in as admin" in page_text(browser.get("/admin/setup"))
    db.session.expire_all()
    assert admin_user.last_login_at is not None

    resp = browser.post("/admin/logout")
    assert resp.status_code == 303
    with browser.client.session_transaction() as session:
        assert "admin_id" not in session
    assert browser.get("/admin/").status_code == 303


def _session_cookie(browser):  # type: ignore[no-untyped-def]
    cookie = browser.client.get_cookie("staffroom_session", domain="tool.example.org")
    assert cookie is not None
    return cookie


def test_logout_ends_a_copy_of_the_session_cookie_too(app, browser, admin_user):
    """A cookie copied before the logout (a shared computer, a proxy log) opens nothing."""
    browser.login()
    copied = _session_cookie(browser)
    assert browser.post("/admin/logout").status_code == 303
    other = AdminBrowser(app.test_client())
    other.client.set_cookie(copied.key, copied.value, domain=copied.domain, path=copied.path)
    assert other.get("/admin/").status_code == 303


def test_logout_ends_the_accounts_sessions_in_other_browsers(app, browser, admin_user):
    elsewhere = AdminBrowser(app.test_client())
    elsewhere.login()
    browser.login()
    browser.post("/admin/logout")
    assert elsewhere.get("/admin/").status_code == 303


def test_a_new_password_ends_every_existing_session(browser, admin_user):
    browser.login()
    assert browser.get("/admin/").status_code == 200
    auth.set_password("admin", PASSWORD + " changed")
    assert browser.get("/admin/").status_code == 303
    assert browser.login(password=PASSWORD + " changed").status_code == 303
    assert browser.get("/admin/").status_code == 200


def test_an_admin_id_without_its_seal_opens_nothing(browser, admin_user):
    """Only a login seals a session: a session that merely names the account is refused."""
    with browser.client.session_transaction() as session:
        session["admin_id"] = admin_user.id
    assert browser.get("/admin/").status_code == 303
    with browser.client.session_transaction() as session:
        session["admin_id"] = admin_user.id
        session["admin_seal"] = "0" * 64
    assert browser.get("/admin/").status_code == 303


def test_admin_pages_are_never_framed(app, admin, platform):
    """Even by a registered LMS, which may frame the teachers' pages."""
    signed_out = AdminBrowser(app.test_client()).get("/admin/login")
    for resp in [signed_out, *(admin.get(url) for url in ("/admin/", "/admin/setup"))]:
        assert resp.status_code == 200
        csp = resp.headers["Content-Security-Policy"]
        url = resp.request.path
        assert "frame-ancestors 'none'" in csp, (url, csp)
        assert "lms.example.test" not in csp


def test_login_returns_to_the_page_asked_for(browser, admin_user):
    resp = browser.login(url="/admin/login?next=/admin/keys")
    assert resp.headers["Location"].endswith("/admin/keys")


@pytest.mark.parametrize("target", ["https://evil.example/admin", "//evil.example/admin", "/lti/"])
def test_login_never_redirects_outside_the_admin_area(browser, admin_user, target):
    resp = browser.login(url=f"/admin/login?next={target}")
    assert urlsplit(resp.headers["Location"]).path == "/admin/"
    assert "evil" not in resp.headers["Location"]


@pytest.mark.parametrize(
    ("username", "password"),
    [("admin", "wrong password!!"), ("nobody", PASSWORD), ("ADMIN", PASSWORD)],
)
def test_wrong_username_or_password_is_refused(browser, admin_user, username, password):
    resp = browser.login(username, password)
    assert resp.status_code == 200
    assert "The username or password is not correct." in page_text(resp)
    with browser.client.session_transaction() as session:
        assert "admin_id" not in session
    assert browser.get("/admin/").status_code == 303


def test_a_disabled_account_cannot_log_in_or_stay_logged_in(admin, admin_user):
    admin_user.active = False
    db.session.commit()
    assert admin.get("/admin/").status_code == 303
    assert admin.login().status_code == 200


def test_empty_fields_get_messages_tied_to_them(browser, admin_user):
    resp = browser.login("", "")
    text = page_text(resp)
    assert "Enter your username." in text
    assert 'aria-describedby="username-error"' in text
    assert 'id="username-error"' in text


def test_there_is_no_default_account(browser):
    for username, password in [("admin", "admin"), ("admin", "password"), ("admin", "")]:
        assert browser.login(username, password).status_code == 200
    text = page_text(browser.get("/admin/login"))
    assert "No administrator account yet" in text
    assert "flask --app lti_tool admin create --username" in text


def test_the_first_account_hint_disappears_once_an_admin_exists(browser, admin_user):
    assert "No administrator account yet" not in page_text(browser.get("/admin/login"))


def test_login_attempts_are_rate_limited(app, browser, admin_user):
    app.config["ADMIN_LOGIN_RATE_LIMIT"] = "3 per 15 minutes"
    for _ in range(3):
        assert browser.login("admin", "wrong password!!").status_code == 200
    resp = browser.login()
    assert resp.status_code == 429
    assert "Too many attempts" in page_text(resp)
    assert 0 < int(resp.headers["Retry-After"]) <= 15 * 60 + 1  # when the window ends
    # Only the POST is limited: the form itself still opens.
    assert browser.get("/admin/login").status_code == 200


def test_one_account_is_protected_from_a_slow_guess_from_many_addresses(app, browser, admin_user):
    app.config["ADMIN_LOGIN_ACCOUNT_RATE_LIMIT"] = "3 per 15 minutes"
    for i in range(3):
        resp = browser.login("admin", "wrong password!!",
                             environ_base={"REMOTE_ADDR": f"10.0.0.{i + 1}"})
        assert resp.status_code == 200
    resp = browser.login(environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert resp.status_code == 429


def test_nobody_can_lock_the_administrator_out_of_a_known_browser(app, admin_user):
    """Failing on purpose from many addresses does not keep the real admin out."""
    app.config["ADMIN_LOGIN_ACCOUNT_RATE_LIMIT"] = "3 per 15 minutes"
    own = AdminBrowser(app.test_client())
    assert own.login(environ_base={"REMOTE_ADDR": "192.0.2.10"}).status_code == 303
    assert own.client.get_cookie("staffroom_admin_device", domain="tool.example.org",
                                 path="/admin") is not None
    own.raw_post("/admin/logout", {"csrf_token": own.token("/admin/")})
    for i in range(6):  # an attacker fails on the account from six addresses
        AdminBrowser(app.test_client()).login(
            "admin", "wrong password!!", environ_base={"REMOTE_ADDR": f"198.51.100.{i}"})
    stranger = AdminBrowser(app.test_client())
    assert stranger.login(environ_base={"REMOTE_ADDR": "203.0.113.5"}).status_code == 429
    # The administrator's own browser still gets in, from home or from school.
    for address in ("192.0.2.10", "192.0.2.99"):
        resp = own.login(environ_base={"REMOTE_ADDR": address})
        assert resp.status_code == 303, address
        own.raw_post("/admin/logout", {"csrf_token": own.token("/admin/")})


def test_one_address_failing_cannot_lock_the_account_for_others(app, browser, admin_user):
    app.config["ADMIN_LOGIN_RATE_LIMIT"] = "3 per 15 minutes"
    for _ in range(3):
        browser.login("admin", "wrong password!!", environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert browser.login(environ_base={"REMOTE_ADDR": "198.51.100.7"}).status_code == 429
    other = AdminBrowser(app.test_client())
    assert other.login(environ_base={"REMOTE_ADDR": "192.0.2.44"}).status_code == 303


def test_a_forged_known_browser_cookie_is_ignored(app, admin_user):
    app.config["ADMIN_LOGIN_ACCOUNT_RATE_LIMIT"] = "2 per 15 minutes"
    for i in range(2):
        AdminBrowser(app.test_client()).login(
            "admin", "wrong password!!", environ_base={"REMOTE_ADDR": f"198.51.100.{i}"})
    forger = AdminBrowser(app.test_client())
    forger.client.set_cookie("staffroom_admin_device", "eyJ1IjoiYWRtaW4ifQ.forged",
                             domain="tool.example.org", path="/admin")
    assert forger.login(environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 429


@pytest.mark.parametrize("target", ["/admin/keys%0d%0aSet-Cookie:%20x=1", "/admin/%5ckeys",
                                    "/admin/keys%0a", "/admin/" + "k" * 3000])
def test_a_crafted_next_falls_back_to_the_admin_home(browser, admin_user, target):
    resp = browser.login(url=f"/admin/login?next={target}")
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith("/admin/")


def test_successful_logins_do_not_use_up_the_limit(app, admin_user):
    app.config["ADMIN_LOGIN_RATE_LIMIT"] = "2 per 15 minutes"
    for _ in range(4):
        assert AdminBrowser(app.test_client()).login().status_code == 303


def test_login_form_needs_its_csrf_token(browser, admin_user):
    resp = browser.raw_post("/admin/login", {"username": "admin", "password": PASSWORD})
    assert resp.status_code == 400
    assert "This form could not be accepted" in page_text(resp)
    with browser.client.session_transaction() as session:
        assert "admin_id" not in session


@pytest.mark.parametrize("token", [None, "forged-token"])
def test_admin_forms_need_their_csrf_token(admin, platform, token):
    stored = db.session.scalars(db.select(Platform)).one()
    data = {"csrf_token": token} if token else {}
    for url in (f"/admin/platforms/{stored.id}/disable", f"/admin/platforms/{stored.id}/delete",
                "/admin/keys/generate", "/admin/logout"):
        resp = admin.raw_post(url, data)
        assert resp.status_code == 400, url
    db.session.expire_all()
    assert db.session.get(Platform, stored.id).active
    assert keys.active_keys() == []
    assert admin.get("/admin/").status_code == 200


def test_a_csrf_token_from_another_session_is_refused(app, admin):
    token = AdminBrowser(app.test_client()).token("/admin/login")
    resp = admin.raw_post("/admin/keys/generate", {"csrf_token": token})
    assert resp.status_code == 400
    assert admin.raw_post("/admin/keys/generate", {"csrf_token": admin.token("/admin/keys")}
                          ).status_code == 303


def test_create_admin_refuses_short_passwords_and_duplicates(app, admin_user):
    with pytest.raises(auth.AdminAccountError, match="at least 12 characters"):
        auth.create_admin("someone", "short")
    with pytest.raises(auth.AdminAccountError, match="already exists"):
        auth.create_admin("admin", PASSWORD)
    with pytest.raises(auth.AdminAccountError, match="username"):
        auth.create_admin("two words", PASSWORD)

