"""Autosave: drafts upserted by planning.js, offered again after a dropped connection or expiry."""

from __future__ import annotations

import re

from lti_tool.extensions import db
from lti_tool.planning.models import Draft, Plan
from tests.planning.conftest import course_space_id, create_plan, page, plan_form


def draft_url(person, sid: int) -> str:  # type: ignore[no-untyped-def]
    return f"{person.base}/{sid}/drafts"


def test_autosave_upserts_one_draft_per_person_and_plan(ada, bo):
    sid = course_space_id(ada)
    pid = create_plan(ada, sid, title="Cells", body="v1")
    body = {"plan_key": f"plan-{pid}", "base_version": 1,
            "data": {"title": "Cells", "body": "half-written thought"}}
    resp = ada.post_json(draft_url(ada, sid), body)
    assert resp.status_code == 200
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", resp.get_json()["saved_at"])
    body["data"]["body"] = "a fuller thought"
    assert ada.post_json(draft_url(ada, sid), body).status_code == 200
    assert bo.post_json(draft_url(bo, sid), body).status_code == 200
    drafts = db.session.scalars(db.select(Draft).order_by(Draft.id)).all()
    assert len(drafts) == 2  # one each, the second save of Ada's updated hers
    assert drafts[0].data["body"] == "a fuller thought"
    assert drafts[0].base_version == 1
    assert set(drafts[0].data) >= {"title", "body", "objectives", "tags"}


def test_autosave_refuses_what_is_not_a_plan_form(ada, people):
    sid = course_space_id(ada)
    url = draft_url(ada, sid)
    assert ada.post_json(url, ["not", "an", "object"]).status_code == 400
    assert ada.post_json(url, {"plan_key": "../etc", "data": {}}).status_code == 400
    assert ada.post_json(url, {"plan_key": "plan-999", "data": {}}).status_code == 404
    # Only the new plan of a real kind: a teacher has at most one such draft per kind.
    assert ada.post_json(url, {"plan_key": "new-zzzzzz", "data": {}}).status_code == 400
    assert ada.post_json(url, {"plan_key": "new-unit2", "data": {}}).status_code == 400
    assert ada.post_json(url, {"plan_key": "new-unit", "data": {"body": ["x"]}}).status_code == 400
    assert ada.post_json(url, {"plan_key": "new-unit", "data": {"body": "x" * 200_001}}
                         ).status_code == 400
    assert ada.post_json(url, {"plan_key": "new-unit", "base_version": "1", "data": {}}
                         ).status_code == 400
    # A plan of a space the person is not in: the space itself is not found.
    other = people("teacher-9", "Ola Elsewhere", context={"id": "course-2", "title": "Chem"})
    assert other.post_json(f"{other.base}/{sid}/drafts",
                           {"plan_key": "new-unit", "data": {}}).status_code == 404
    assert db.session.scalar(db.select(db.func.count(Draft.id))) == 0


def test_draft_is_offered_after_a_new_launch_and_restores_into_the_form(ada):
    sid = course_space_id(ada)
    pid = create_plan(ada, sid, title="Cells", body="saved text")
    ada.post_json(draft_url(ada, sid), {
        "plan_key": f"plan-{pid}", "base_version": 1,
        "data": {"title": "Cells (revised)", "kind": "unit", "body": "unsaved text",
                 "starts_on": "2025-09-01", "objectives": "", "tags": "", "ends_on": "",
                 "course_id": "", "parent_id": ""},
    })
    # The session expires; the teacher opens Staffroom from the LMS again.
    ada.client.delete_cookie("staffroom_session", domain="tool.example.org")
    assert ada.get(f"{ada.base}/{sid}/plans/{pid}/edit").status_code == 401
    ada.launch()
    text = page(ada.get(f"{ada.base}/{sid}/plans/{pid}/edit"))
    assert "You have unsaved changes from" in text
    assert "Restore them" in text
    assert "unsaved text" not in text  # offered, not imposed
    restored = page(ada.get(f"{ada.base}/{sid}/plans/{pid}/edit?draft=restore"))
    assert "unsaved text" in restored
    assert 'value="Cells (revised)"' in restored
    assert 'value="2025-09-01"' in restored
    assert 'name="version" type="hidden" value="1"' in restored
    # Saving it deletes the draft.
    resp = ada.post(f"{ada.base}/{sid}/plans/{pid}/edit",
                    plan_form(title="Cells (revised)", version="1", body="unsaved text"))
    assert resp.status_code == 303
    assert f"saved=plan-{pid}" in resp.headers["Location"]
    assert db.session.scalar(db.select(db.func.count(Draft.id))) == 0
    plan_page = page(ada.get(resp.headers["Location"]))
    assert 'data-clear-draft="staffroom-draft:' in plan_page
    assert f":plan-{pid}" in plan_page


def test_restored_draft_from_an_older_version_goes_through_the_merge(ada, bo):
    sid = course_space_id(ada)
    pid = create_plan(ada, sid, title="Cells", body="line one\nline two\nline three")
    ada.post_json(draft_url(ada, sid), {
        "plan_key": f"plan-{pid}", "base_version": 1,
        "data": {"title": "Cells", "kind": "unit", "body": "line one\nline two\nline 3!"},
    })
    bo.post(f"{bo.base}/{sid}/plans/{pid}/edit",
            plan_form(title="Cells", version="1", body="line 1!\nline two\nline three"))
    restored = page(ada.get(f"{ada.base}/{sid}/plans/{pid}/edit?draft=restore"))
    assert "older version" in restored
    resp = ada.post(f"{ada.base}/{sid}/plans/{pid}/edit",
                    plan_form(title="Cells", version="1", body="line one\nline two\nline 3!"))
    assert resp.status_code == 409
    assert "line 1!\nline two\nline 3!" in page(resp)


def test_discarding_a_draft_removes_it(ada):
    sid = course_space_id(ada)
    ada.post_json(draft_url(ada, sid), {"plan_key": "new-lesson", "base_version": None,
                                        "data": {"title": "Half a lesson", "kind": "lesson"}})
    new_page = f"{ada.base}/{sid}/plans/new?template=builtin:lesson"
    assert "You have unsaved changes" in page(ada.get(new_page))
    restored = page(ada.get(new_page + "&draft=restore"))
    assert 'value="Half a lesson"' in restored
    # Query parameters the page does not read are not carried into its links (nor crash it).
    odd = ada.get(new_page + "&space_id=1&_external=1&x=%22%3E")
    assert odd.status_code == 200
    assert "draft=restore" in page(odd)
    assert "space_id=1" not in page(odd)
    assert "_external" not in page(odd)
    assert "x=%22" not in page(odd)
    resp = ada.post(f"{ada.base}/{sid}/drafts/discard",
                    {"plan_key": "new-lesson", "template": "builtin:lesson"})
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith("template=builtin:lesson")
    assert db.session.scalar(db.select(db.func.count(Draft.id))) == 0
    assert "You have unsaved changes" not in page(ada.get(new_page))


def test_creating_the_plan_deletes_the_new_plan_draft(ada):
    sid = course_space_id(ada)
    ada.post_json(draft_url(ada, sid), {"plan_key": "new-unit", "data": {"title": "Forces"}})
    create_plan(ada, sid, title="Forces", draft_key="new-unit")
    assert db.session.scalar(db.select(db.func.count(Draft.id))) == 0
    assert db.session.scalar(db.select(db.func.count(Plan.id))) == 1


def test_edit_page_wires_autosave_without_inline_script(ada):
    sid = course_space_id(ada)
    pid = create_plan(ada, sid, title="Cells")
    resp = ada.get(f"{ada.base}/{sid}/plans/{pid}/edit")
    text = resp.get_data(as_text=True)
    assert f'data-autosave-url="/courses/1/spaces/{sid}/drafts"' in text
    assert f'data-draft-key="plan-{pid}"' in text
    assert 'role="status" aria-live="polite"' in text
    assert re.findall(r"<script[^>]*>", text) == [
        '<script src="/static/frame-resize.js" defer>',  # lti.frameResize, on every page
        '<script src="/static/shared.js" defer>',  # what planning and observations share
        '<script src="/static/planning.js" defer>',
        '<script src="/static/editor/loader.js" defer>',  # the document editor, where needed
    ]
    assert " onclick=" not in text
    assert " style=" not in text
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    js = ""
    for script in ("shared.js", "planning.js"):
        static = ada.get(f"/static/{script}")
        js += static.get_data(as_text=True)
        static.close()
    assert "X-CSRFToken" in js
    assert "localStorage" in js
    assert "Offline — kept in this browser" in js
    assert "Saved as draft at" in js
