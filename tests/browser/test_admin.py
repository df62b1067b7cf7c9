"""The administrator's journey at ``/admin/``: log in, register a platform, rotate a key."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.pages.admin import AdminPage, PlatformValues
from tests.browser.support import require_chromium

require_chromium()
pytestmark = pytest.mark.browser


@pytest.fixture
def admin(page, live_server) -> AdminPage:
    return AdminPage(page, live_server.tool_url)


@pytest.fixture
def logged_in(admin, admin_credentials) -> AdminPage:
    admin.login(*admin_credentials)
    expect(admin.heading).to_have_text("Platforms")
    return admin


def test_an_administrator_registers_a_platform_and_sees_it_listed(logged_in, live_server):
    admin = logged_in
    values = PlatformValues.unique(key_set_url=f"{live_server.tool_url}/lti/jwks.json")
    admin.page.get_by_role("link", name="Add a platform").click()
    expect(admin.heading).to_have_text("Add a platform")
    admin.fill_platform(values)
    admin.submit_platform()

    expect(admin.heading).to_have_text("Platforms")
    expect(admin.flash).to_contain_text(f"Platform “{values.name}” registered.")
    assert values.name in admin.platform_names()
    row = admin.page.locator("tbody tr", has=admin.page.get_by_text(values.issuer))
    expect(row.locator(".status")).to_have_text("Active")
    expect(row).to_contain_text(values.client_id)


def test_an_administrator_rotates_the_signing_key(logged_in):
    admin = logged_in
    admin.page.get_by_role("link", name="Keys").click()
    expect(admin.heading).to_have_text("Staffroom's signing keys")
    before = admin.key_ids()
    assert before, "flask demo run makes sure the tool has a key"
    old = before[0]

    admin.generate_key()
    expect(admin.flash).to_contain_text("generated: it signs from now on")
    new = admin.key_ids()[0]
    assert new not in before
    assert admin.key_status(new) == "Active, signing"
    assert admin.key_status(old) == "Active, published"

    question = admin.retire_key(old, confirm=False)  # asked first, and answered "no"
    assert f"Retire key {old}?" in question
    assert admin.key_status(old) == "Active, published"
    admin.retire_key(old)
    expect(admin.flash).to_contain_text(f"Key {old} retired")
    assert admin.key_status(old).startswith("Retired")
    assert admin.key_status(new) == "Active, signing"


def test_a_refused_platform_ties_each_error_to_its_field(logged_in, watcher, live_server):
    admin = logged_in
    admin.open_new_platform()
    values = PlatformValues.unique(key_set_url=f"{live_server.tool_url}/lti/jwks.json")
    admin.field("name").fill(values.name)
    admin.field("issuer").fill("http://lms.not-loopback.example")
    with watcher.expect_status(422, "/admin/platforms/new"):
        admin.submit_platform()

    expect(admin.page.get_by_role("alert")).to_contain_text("Nothing was saved")
    issuer = admin.field("issuer")
    expect(issuer).to_have_attribute("aria-invalid", "true")
    expect(issuer).to_have_value("http://lms.not-loopback.example")  # kept what was typed
    expect(admin.field("name")).to_have_value(values.name)
    expect(admin.field("name")).not_to_have_attribute("aria-invalid", "true")
    for field_id in ("issuer", "client_id", "auth_login_url"):
        field = admin.field(field_id)
        expect(field).to_have_attribute("aria-invalid", "true")
        described_by = (field.get_attribute("aria-describedby") or "").split()
        assert f"{field_id}-error" in described_by, (field_id, described_by)
        error = admin.page.locator(f"#{field_id}-error")
        expect(error).to_be_visible()
        expect(error).not_to_be_empty()
    expect(admin.page.locator("#issuer-error")).to_contain_text("https://")
    # The summary links to the field, so a screen reader user can get there from it.
    admin.page.locator(".form-errors a[href='#issuer']").click()
    expect(issuer).to_be_focused()


def test_an_empty_login_ties_the_errors_to_the_fields(admin):
    admin.open_login()
    with admin.page.expect_navigation():
        admin.page.get_by_role("button", name="Log in").click()
    for field_id, message in (("username", "Enter your username"),
                              ("password", "Enter your password")):
        field = admin.field(field_id)
        expect(field).to_have_attribute("aria-invalid", "true")
        expect(field).to_have_attribute("aria-describedby", f"{field_id}-error")
        expect(admin.page.locator(f"#{field_id}-error")).to_contain_text(message)


def test_the_admin_area_asks_for_a_login_first(admin):
    admin.open("/keys")
    expect(admin.heading).to_have_text("Administrator login")
    assert "/admin/login" in admin.page.url


def test_the_copy_buttons_put_the_value_on_the_clipboard(
    new_context, live_server, admin_credentials
):
    page = new_context(permissions=["clipboard-read", "clipboard-write"]).new_page()
    admin = AdminPage(page, live_server.tool_url)
    admin.login(*admin_credentials)
    admin.open("/setup")
    page.get_by_role("button", name="Copy public JWK URL").click()
    # Its name changes to "Copied …" for two seconds: find it by what it copies.
    expect(page.locator("[data-copy-target=canvas-jwk-url] .copy-label")).to_have_text("Copied")
    expect(page.locator("#copy-status")).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == f"{live_server.tool_url}/lti/jwks.json"
