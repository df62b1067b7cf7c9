"""The administrator's side: the audit log and its filters, one learner's export (JSON,
PDF) and erasure, each itself audited."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from lti_tool.accounts import auth
from lti_tool.discussion.models import Comment
from lti_tool.extensions import db
from lti_tool.notes.models import LearnerNote
from lti_tool.tasks.models import Task
from tests.admin.conftest import PASSWORD, AdminBrowser
from tests.notes.conftest import add_note, audit_lines, base, page, pid


@pytest.fixture
def admin(app):  # type: ignore[no-untyped-def]
    auth.create_admin("admin", PASSWORD)
    browser = AdminBrowser(app.test_client())
    assert browser.login().status_code == 303
    return browser


def test_the_audit_log_on_the_admin_page_filters(school, admin) -> None:
    ada, bo = school["ada"], school["bo"]
    [note_id] = add_note(ada, ["learner-lea"])
    bo.get(f"{base(bo)}/{note_id}")
    everything = page(admin.get("/admin/notes-audit"))
    assert "Ada Teacher" in everything
    assert "Bo Colleague" in everything
    assert "Lea Learner" in everything
    reads = page(admin.get("/admin/notes-audit?action=read"))
    assert "Bo Colleague" in reads
    assert "Ada Teacher" not in reads
    by_name = page(admin.get("/admin/notes-audit?actor=ada"))
    assert "Ada Teacher" in by_name
    assert "Bo Colleague" not in by_name
    assert "No line matches" in page(admin.get(f"/admin/notes-audit?note={note_id + 1}"))
    # Teachers never reach it.
    assert bo.get("/admin/notes-audit").status_code in (302, 303)


def test_export_json_and_pdf_hold_everything_and_are_audited(school, admin) -> None:
    ada, bo = school["ada"], school["bo"]
    [note_id] = add_note(ada, ["learner-lea"], body="Loves chess.", follow_up="Chess club")
    bo.post(f"/courses/{bo.course_id}/discussion/learner_note/{note_id}/comments",
            {"body": "Agreed, he told me too."})
    lea_id = pid("learner-lea")
    found = page(admin.get("/admin/learners?q=lea+learner"))
    assert "Lea Learner" in found
    assert "Max Learner" not in found
    resp = admin.get(f"/admin/learners/{lea_id}/export.json")
    assert resp.status_code == 200
    data = json.loads(resp.get_data(as_text=True))
    assert data["learner"]["name"] == "Lea Learner"
    assert {c["title"] for c in data["courses"]} == {"Biology Year 7", "Chemistry Year 8"}
    [note] = data["notes"]
    assert note["body"] == "Loves chess."
    assert note["author"] == "Ada Teacher"
    assert note["follow_ups"][0]["title"] == "Chess club"
    assert note["replies"][0]["body"] == "Agreed, he told me too."
    assert [a["action"] for a in data["audit"]] == ["create"]
    pdf = admin.get(f"/admin/learners/{lea_id}/export.pdf")
    assert pdf.status_code == 200
    assert pdf.data.startswith(b"%PDF")
    assert [(line.action, line.detail, line.actor_kind) for line in
            audit_lines(action="export")] == [("export", "JSON", "admin"),
                                               ("export", "PDF", "admin")]


def test_erasure_removes_the_notes_for_good_and_is_audited(school, admin) -> None:
    ada, bo = school["ada"], school["bo"]
    [note_id] = add_note(ada, ["learner-lea"], follow_up="x")
    add_note(ada, ["learner-max"])
    bo.post(f"/courses/{bo.course_id}/discussion/learner_note/{note_id}/comments",
            {"body": "A reply."})
    lea_id = pid("learner-lea")
    url = f"/admin/learners/{lea_id}/erase"
    wrong = admin.post(url, {"confirm": "someone"}, form_url=url)
    assert wrong.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count(LearnerNote.id))) == 2
    done = admin.post(url, {"confirm": "lea learner"}, form_url=url)
    assert done.status_code == 303
    assert db.session.scalars(sa.select(LearnerNote.learner_id)).all() == [pid("learner-max")]
    assert db.session.scalar(sa.select(sa.func.count(Task.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(Comment.id))) == 0
    [erased] = audit_lines(action="erase")
    assert (erased.learner_id, erased.actor_name, erased.detail) == (
        lea_id, "admin", "1 note(s) erased on request")
    # The earlier lines stay: the log is append-only.
    assert [line.action for line in audit_lines(learner_id=lea_id)] == ["create", "erase"]
