"""Shared computer: one teacher's text is never saved under another's name (issue 15).

Amara is editing a plan; Tomasz launches Staffroom in another tab of the same
browser (the same cookie jar). Her Save must say who is signed in now, keep her
text, and save nothing; a form she left open must never be saved as his.
"""

from __future__ import annotations

import re

import sqlalchemy as sa

from lti_tool.extensions import db
from lti_tool.planning.models import Plan, PlanRevision
from tests.tasks.helpers import course_space, csrf, launch, person, plan

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def _amara_edits_then_tomasz_launches(app, platform):  # type: ignore[no-untyped-def]
    browser = launch(app, platform, sub="amara", name="Amara Okafor")
    unit = plan(course_space(), "Forces unit", body="first draft", author=person("amara"))
    edit = f"/courses/1/spaces/{unit.space_id}/plans/{unit.id}/edit"
    page = browser.get(edit).get_data(as_text=True)
    token = TOKEN.search(page).group(1)
    assert 'autocomplete="off"' in page  # no refilling by the browser on "Back"
    form = {"csrf_token": token, "_who": str(person("amara").id), "title": "Forces unit",
            "kind": "unit", "version": "1", "body": "Amara's careful rewrite of the unit"}
    launch(app, platform, sub="tomasz", name="Tomasz Nowak", client=browser)
    return browser, unit, edit, form


def test_her_save_says_who_is_signed_in_now_keeps_her_text_and_saves_nothing(app, platform):
    browser, unit, edit, form = _amara_edits_then_tomasz_launches(app, platform)
    resp = browser.post(edit, data=form)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 409
    assert "Tomasz Nowak</strong> opened Staffroom in this browser after" in page
    assert "Amara Okafor" in page
    assert "Amara&#39;s careful rewrite of the unit" in page  # her text, to copy
    db.session.expire_all()
    assert db.session.get(Plan, unit.id).body == "first draft"
    assert db.session.scalar(sa.select(sa.func.count(PlanRevision.id))) == 0  # no save at all


def test_back_then_save_is_never_attributed_to_the_new_person(app, platform):
    browser, unit, edit, form = _amara_edits_then_tomasz_launches(app, platform)
    page = browser.get(edit).get_data(as_text=True)  # "Back": the page as Tomasz sees it
    assert "You are signed in as <strong>Tomasz Nowak</strong>" in page
    assert "Someone else used Staffroom in this browser until" in page
    assert "Amara" not in page.split('class="switch-notice"')[1].split("</p>")[0]
    # Her form, with his fresh token (a browser that refilled the old form's fields):
    resp = browser.post(edit, data={**form, "csrf_token": TOKEN.search(page).group(1)})
    assert resp.status_code == 409
    db.session.expire_all()
    assert db.session.get(Plan, unit.id).body == "first draft"
    assert not db.session.scalars(
        sa.select(PlanRevision).where(PlanRevision.author_id == person("tomasz").id)).all()


def test_her_autosave_is_refused_too_and_her_browser_copy_stays_hers(app, platform):
    browser, unit, _, form = _amara_edits_then_tomasz_launches(app, platform)
    resp = browser.post(f"/courses/1/spaces/{unit.space_id}/drafts",
                        json={"plan_key": f"plan-{unit.id}", "base_version": 1,
                              "data": {"body": form["body"]}},
                        headers={"X-CSRFToken": form["csrf_token"]})
    assert resp.status_code == 409
    assert resp.get_json()["error"] == "signed_in_as_someone_else"


def test_the_same_person_relaunching_keeps_working(app, platform):
    browser = launch(app, platform, sub="amara", name="Amara Okafor")
    unit = plan(course_space(), "Forces unit", body="first draft", author=person("amara"))
    launch(app, platform, sub="amara", name="Amara Okafor", client=browser)
    resp = browser.post(f"/courses/1/spaces/{unit.space_id}/plans/{unit.id}/edit", data={
        "csrf_token": csrf(browser), "_who": str(person("amara").id), "title": "Forces unit",
        "kind": "unit", "version": "1", "body": "second draft"})
    assert resp.status_code == 303
    assert "signed in as" not in browser.get("/courses/1/").get_data(as_text=True)
