"""The setup values, the key management page, and what every admin page must respect."""

from __future__ import annotations

import re

import pytest

from lti_tool.extensions import db
from lti_tool.lti import keys
from lti_tool.lti.models import Platform, ToolKey
from tests.admin.conftest import AdminBrowser, page_text

LOGIN = "https://tool.example.org/lti/login"
LAUNCH = "https://tool.example.org/lti/launch"
JWKS = "https://tool.example.org/lti/jwks.json"


def _copy_buttons(text: str) -> dict[str, tuple[str, str]]:
    """Accessible name of each Copy button -> (target id, value of that target)."""
    found = {}
    for target, label in re.findall(
        r'<button type="button" class="secondary copy-button" data-copy-target="([^"]+)">'
        r'<span class="copy-label">Copy</span><span class="visually-hidden"> ([^<]+)</span>'
        r"</button>",
        text,
    ):
        value = re.search(rf'<code id="{target}">([^<]+)</code>', text)
        assert value, target
        found[f"Copy {label}"] = (target, value.group(1))
    return found


def test_setup_page_shows_the_exact_urls_with_a_copy_button_each(admin):
    text = page_text(admin.get("/admin/setup"))

    buttons = _copy_buttons(text)
    assert {name: value for name, (_, value) in buttons.items()} == {
        "Copy redirect URIs": LAUNCH,
        "Copy target link URI": LAUNCH,
        "Copy login initiation URL": LOGIN,
        "Copy public JWK URL": JWKS,
        "Copy tool URL": LAUNCH,
        "Copy public keyset URL": JWKS,
        "Copy initiate login URL": LOGIN,
        "Copy redirection URIs": LAUNCH,
        "Copy registration URL": LAUNCH.replace("/lti/launch", "/lti/register"),
        "Copy Canvas configuration URL": LAUNCH.replace("/lti/launch", "/lti/canvas.json"),
    }
    # Canvas's and Moodle's own field names and choices, in the order the LMS shows them.
    for words in ("Admin → Developer Keys", "LTI Key", "Redirect URIs", "Target Link URI",
                  "OpenID Connect Initiation Url", "JWK Method", "Public JWK URL",
                  "Site administration → Plugins → Activity modules → External tool → "
                  "Manage tools", "configure a tool manually", "Tool URL", "LTI 1.3",
                  "Public key type", "Keyset URL", "Public keyset", "Initiate login URL",
                  "Redirection URI(s)"):
        assert words in text, words
    assert re.search(r'<p id="copy-status" class="visually-hidden" role="status" '
                     r'aria-live="polite"></p>', text)
    assert '<script src="/static/admin.js" defer></script>' in text


def test_setup_urls_follow_public_base_url(app, admin):
    app.config["PUBLIC_BASE_URL"] = "https://staffroom.school.example"
    text = page_text(admin.get("/admin/setup"))
    assert "https://staffroom.school.example/lti/login" in text
    assert "tool.example.org" not in text


def test_the_copy_script_is_served_by_the_tool_and_announces_copied(client):
    resp = client.get("/static/admin.js")
    assert resp.status_code == 200
    assert "no-store" not in resp.headers.get("Cache-Control", "")  # static: may be cached
    script = resp.get_data(as_text=True)
    resp.close()
    assert 'getElementById("copy-status")' in script
    assert 'announce("Copied")' in script
    assert "data-copy-target" in script


def test_keys_page_lists_generates_and_retires(admin):
    first = keys.signing_key()
    text = page_text(admin.get("/admin/keys"))
    assert first.kid in text
    assert "Active, signing" in text

    assert admin.post("/admin/keys/generate", form_url="/admin/keys").status_code == 303
    db.session.expire_all()
    newest = keys.signing_key()
    assert newest.kid != first.kid
    text = page_text(admin.get("/admin/keys"))
    assert f"New key {newest.kid} generated" in text
    assert "Active, published" in text

    resp = admin.post(f"/admin/keys/{first.kid}/retire", form_url="/admin/keys")
    assert resp.status_code == 303
    text = page_text(admin.get("/admin/keys"))
    assert f"Key {first.kid} retired" in text
    assert "Retired " in text
    db.session.expire_all()
    assert [k.kid for k in keys.active_keys()] == [newest.kid]
    assert first.kid not in str(keys.jwks())


def test_the_last_active_key_cannot_be_retired(admin):
    only = keys.signing_key()
    admin.post(f"/admin/keys/{only.kid}/retire", form_url="/admin/keys")
    text = page_text(admin.get("/admin/keys"))
    assert "This is the only active key: generate a new key first" in text
    db.session.expire_all()
    assert db.session.get(ToolKey, only.id).active


def test_keys_page_without_keys(admin):
    assert "No key yet" in page_text(admin.get("/admin/keys"))


def _admin_pages(admin: AdminBrowser, platform_id: int) -> list[str]:
    return [
        "/admin/", "/admin/platforms/new", f"/admin/platforms/{platform_id}/edit",
        f"/admin/platforms/{platform_id}/delete", f"/admin/platforms/{platform_id}/deployments",
        "/admin/setup", "/admin/keys",
    ]


def test_every_page_meets_the_page_rules(app, admin, platform):
    """Navigation, one h1, no inline script/style/handlers, labelled inputs, tables scroll."""
    keys.signing_key()
    stored = db.session.scalars(db.select(Platform)).one()
    pages = _admin_pages(admin, stored.id) + ["/admin/login"]
    for url in pages:
        browser = admin if url != "/admin/login" else AdminBrowser(app.test_client())
        resp = browser.get(url)
        assert resp.status_code == 200, url
        text = resp.get_data(as_text=True)
        assert "Content-Security-Policy" in resp.headers
        assert text.count("<h1") == 1, url
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), url
        assert not re.search(r"\sstyle=", text), url
        assert not re.search(r"\son[a-z]+=", text), url
        for input_id in re.findall(r'<(?:input|textarea|select)(?![^>]*type="hidden")[^>]*'
                                   r'\bid="([^"]+)"', text):
            assert f'<label for="{input_id}">' in text, (url, input_id)
        assert text.count("<table") == text.count('<div class="table-scroll">'), url
        if url != "/admin/login":
            assert 'aria-label="Administration"' in text
            assert text.count('aria-current="page"') == 1, url


@pytest.mark.parametrize(
    ("url", "current"),
    [("/admin/", "Platforms"), ("/admin/platforms/new", "Platforms"),
     ("/admin/setup", "Set up in your LMS"), ("/admin/keys", "Keys")],
)
def test_navigation_marks_the_current_section(admin, url, current):
    text = admin.get(url).get_data(as_text=True)
    assert re.search(rf'aria-current="page">{re.escape(current)}</a>', text)
