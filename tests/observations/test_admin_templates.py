"""Institution forms on the admin page: written, versioned, archived; never observations."""

from __future__ import annotations

import re

import pytest

from lti_tool.accounts import auth
from lti_tool.extensions import limiter
from tests.admin.conftest import PASSWORD, AdminBrowser, page_text
from tests.observations.conftest import base, observation, page, start, template_id


@pytest.fixture
def admin(app, client):  # type: ignore[no-untyped-def]
    limiter.reset()
    auth.create_admin("admin", PASSWORD)
    browser = AdminBrowser(client)
    assert browser.login().status_code == 303
    yield browser
    limiter.reset()


FORM = ("# Our school's focus\n- Learners use the word wall [rating]\n- Reading aloud\n"
        "? What went well\n")


def test_an_administrator_writes_edits_and_archives_a_school_form(admin, amara, tomasz):
    listing = page_text(admin.get("/admin/observation-forms"))
    assert "Observation forms" in listing
    assert "Four domains of practice" in listing  # start from a starter form
    started = page_text(admin.get("/admin/observation-forms/new?from=domains"))
    assert "# Planning and preparation" in started
    resp = admin.post("/admin/observation-forms/new", {
        "name": "Literacy walk", "description": "", "text": FORM, "platform_id": "",
        "version": ""}, form_url="/admin/observation-forms/new")
    assert resp.status_code == 303, page_text(resp)[:2000]
    # Teachers now offer it; an observation made with it pins version 1.
    tid = template_id(amara, "Literacy walk")
    oid = start(amara, tomasz.sub, template_id=str(tid))
    assert observation(oid).template_version.number == 1
    edit_url = f"/admin/observation-forms/{tid}/edit"
    resp = admin.post(edit_url, {"name": "Literacy walk", "description": "", "platform_id": "",
                                 "text": "# Changed\n- Something else\n", "version": "1"},
                      form_url=edit_url)
    assert resp.status_code == 303, page_text(resp)[:2000]
    assert observation(oid).template_version.number == 1
    assert "Learners use the word wall" in page(amara.get(f"{base(amara)}/{oid}/focus"))
    # A stale admin edit is refused.
    resp = admin.post(edit_url, {"name": "x", "description": "", "platform_id": "",
                                 "text": "# A\n- b\n", "version": "1"}, form_url=edit_url)
    assert resp.status_code == 409
    # Archived: teachers no longer see it; the observation is unchanged.
    resp = admin.post(f"/admin/observation-forms/{tid}/archive", {"archived": "1"},
                      form_url="/admin/observation-forms")
    assert resp.status_code == 303
    assert "Literacy walk" not in page(amara.get(f"{base(amara)}/new"))
    assert amara.get(f"{base(amara)}/{oid}").status_code == 200


@pytest.mark.parametrize(("field", "value", "message"), [
    ("text", "- no section", "must come after a section title"),
    ("text", "# S\n- ok\n- ok", "is in the form twice"),
    ("name", "", "The name is required"),
    ("name", "n" * 201, "longer than 200"),
    ("platform_id", "²", "Choose a platform from the list"),
    ("platform_id", "9" * 30, "Choose a platform from the list"),
])
def test_a_refused_school_form_says_why_and_keeps_the_text(admin, field, value, message):
    data = {"name": "Literacy walk", "description": "", "text": FORM, "platform_id": "",
            "version": ""}
    data[field] = value
    resp = admin.post("/admin/observation-forms/new", data,
                      form_url="/admin/observation-forms/new")
    assert resp.status_code == 422
    text = page_text(resp)
    assert message in text
    if field != "text":
        assert "Learners use the word wall" in text


def test_a_form_for_one_platform_is_offered_to_that_platform_only(admin, app, amara):
    from lti_tool.extensions import db
    from lti_tool.lti.models import Platform

    platform_id = db.session.scalar(db.select(Platform.id))
    resp = admin.post("/admin/observation-forms/new", {
        "name": "Only here", "description": "", "text": FORM, "platform_id": str(platform_id),
        "version": ""}, form_url="/admin/observation-forms/new")
    assert resp.status_code == 303
    assert "Only here" in page(amara.get(f"{base(amara)}/new"))
    other = Platform(name="Other", issuer="https://x.test", client_id="c",
                     auth_login_url="https://x.test/a", auth_token_url="https://x.test/t",
                     key_set_url="https://x.test/k")
    db.session.add(other)
    db.session.commit()
    tid = int(re.search(r"/observation-forms/(\d+)/edit",
                        admin.get("/admin/observation-forms").get_data(as_text=True)).group(1))
    edit_url = f"/admin/observation-forms/{tid}/edit"
    resp = admin.post(edit_url, {"name": "Only here", "description": "", "text": FORM,
                                 "platform_id": str(other.id), "version": "1"},
                      form_url=edit_url)
    assert resp.status_code == 303, page_text(resp)[:1500]
    assert "Only here" not in page(amara.get(f"{base(amara)}/new"))


def test_the_admin_area_needs_a_login(client):
    for url in ("/admin/observation-forms", "/admin/observation-forms/new",
                "/admin/observation-forms/1/edit"):
        assert client.get(url).status_code == 303


def test_huge_ids_on_the_admin_page_are_not_found(admin):
    for path in ("9" * 40, "2147483648"):
        assert admin.get(f"/admin/observation-forms/{path}/edit").status_code == 404
